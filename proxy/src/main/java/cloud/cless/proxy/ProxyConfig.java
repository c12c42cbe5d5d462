package cloud.cless.proxy;

import cloud.cless.proxy.http1.RequestHeadParser;
import io.netty.channel.WriteBufferWaterMark;
import java.time.Duration;
import java.util.Locale;

/**
 * How the proxy listener and its request path behave.
 *
 * @param bindHost            address to listen on, e.g. {@code 0.0.0.0}
 * @param port                port to listen on (0 picks a free one)
 * @param adminHost           the Host that reaches the admin API, e.g. {@code admin.localhost}
 * @param maxHeaderSize       largest request head accepted ({@code --max-header-size}), else 431
 * @param headerTimeout       time allowed for each request head ({@code --header-timeout}), else 408
 * @param keepAliveTimeout    how long a client connection may stay idle between requests ({@code --keepalive-timeout})
 * @param maxBodySize         largest request body accepted ({@code --max-body-size}), else 413; 0 for no limit
 * @param trustedProxies      peers whose X-Forwarded-* fields are kept ({@code --trusted-proxies})
 * @param connectTimeout      time allowed to connect to a ready instance, else 502
 * @param upstreamIdleTimeout how long an idle pooled upstream connection is kept ({@code --upstream-idle-timeout})
 * @param maxIdlePerInstance  idle pooled connections kept per instance and event loop; more are closed
 * @param waterMark           per-channel outbound buffer bounds that drive backpressure
 * @param retryAfterSeconds   the {@code Retry-After} sent with a 503
 * @param errorLinger         how long a closing error response waits for the client to close before closing itself
 * @param backlog             the listen backlog
 */
public record ProxyConfig(
        String bindHost,
        int port,
        String adminHost,
        int maxHeaderSize,
        Duration headerTimeout,
        Duration keepAliveTimeout,
        long maxBodySize,
        TrustedProxies trustedProxies,
        Duration connectTimeout,
        Duration upstreamIdleTimeout,
        int maxIdlePerInstance,
        WriteBufferWaterMark waterMark,
        int retryAfterSeconds,
        Duration errorLinger,
        int backlog) {

    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_UPSTREAM_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** A read is at most 64 KiB, so a few reads stay in flight before a side is unwritable. */
    public static final WriteBufferWaterMark DEFAULT_WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    public ProxyConfig {
        adminHost = adminHost.toLowerCase(Locale.ROOT);
    }

    /** The defaults of DESIGN for a listener on {@code bindHost:port} under {@code domain}. */
    public static ProxyConfig defaults(String bindHost, int port, String domain) {
        return new ProxyConfig(bindHost, port, "admin." + domain, RequestHeadParser.DEFAULT_MAX_HEAD_SIZE,
                DEFAULT_HEADER_TIMEOUT, DEFAULT_KEEPALIVE_TIMEOUT, 0, TrustedProxies.NONE, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_UPSTREAM_IDLE_TIMEOUT, 256, DEFAULT_WATER_MARK, 5, Duration.ofSeconds(2), 1024);
    }

    public ProxyConfig withAdminHost(String host) {
        return new ProxyConfig(bindHost, port, host, maxHeaderSize, headerTimeout, keepAliveTimeout, maxBodySize,
                trustedProxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withMaxHeaderSize(int bytes) {
        return new ProxyConfig(bindHost, port, adminHost, bytes, headerTimeout, keepAliveTimeout, maxBodySize,
                trustedProxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withHeaderTimeout(Duration timeout) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, timeout, keepAliveTimeout, maxBodySize,
                trustedProxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withKeepAliveTimeout(Duration timeout) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, headerTimeout, timeout, maxBodySize,
                trustedProxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withMaxBodySize(long bytes) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, headerTimeout, keepAliveTimeout, bytes,
                trustedProxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withTrustedProxies(TrustedProxies proxies) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, headerTimeout, keepAliveTimeout, maxBodySize,
                proxies, connectTimeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withConnectTimeout(Duration timeout) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, headerTimeout, keepAliveTimeout, maxBodySize,
                trustedProxies, timeout, upstreamIdleTimeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }

    public ProxyConfig withUpstreamIdleTimeout(Duration timeout) {
        return new ProxyConfig(bindHost, port, adminHost, maxHeaderSize, headerTimeout, keepAliveTimeout, maxBodySize,
                trustedProxies, connectTimeout, timeout, maxIdlePerInstance, waterMark, retryAfterSeconds,
                errorLinger, backlog);
    }
}
