package cloud.cless.proxy;

import cloud.cless.core.metrics.ServiceMeters;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one client connection on the proxy port did, for the access log and the per-service connection metrics:
 * its host and service, the instance it was relayed to, the bytes each way and how it ended. Attached to the
 * channel when it is accepted; writes its access log line when the channel closes. Used on the channel's event
 * loop only (the instance connection shares it).
 */
final class ProxiedConnection {
    /** The logger of the access log; set its level to OFF (or WARN) to turn the log off. */
    static final String ACCESS_LOG = "cloud.cless.access";
    private static final Logger access = LoggerFactory.getLogger(ACCESS_LOG);
    private static final AttributeKey<ProxiedConnection> KEY =
            AttributeKey.valueOf(ProxiedConnection.class, "connection");

    private final Channel channel;
    private final long openedAtNanos = System.nanoTime();
    private String host;
    private String service;
    private ServiceMeters meters;
    private String instanceId;
    private long bytesIn;
    private long bytesOut;
    private boolean relaying;
    private boolean admin;
    private String outcome;

    private ProxiedConnection(Channel channel) {
        this.channel = channel;
    }

    /** Starts the record of a newly accepted connection; it ends itself when the channel closes. */
    static ProxiedConnection open(Channel channel) {
        ProxiedConnection connection = new ProxiedConnection(channel);
        channel.attr(KEY).set(connection);
        channel.closeFuture().addListener(f -> connection.closed());
        return connection;
    }

    /** The record of a connection accepted by the proxy; null for any other channel. */
    static ProxiedConnection of(Channel channel) {
        return channel.attr(KEY).get();
    }

    /** Routed to {@code service}; counted as one of its open connections until it closes. */
    void routed(String host, String service, ServiceMeters meters) {
        this.host = host;
        this.service = service;
        this.meters = meters;
        meters.connectionOpened();
    }

    /** Became an admin API connection: that API is not proxied, so no access log line. */
    void toAdmin() {
        admin = true;
    }

    /** The service's name, or null before routing. */
    String service() {
        return service;
    }

    /** Relaying to {@code instanceId} starts, with the {@code sniffedBytes} already read sent first. */
    void relaying(String instanceId, long sniffedBytes) {
        this.instanceId = instanceId;
        this.relaying = true;
        relayedUpstream(sniffedBytes);
    }

    void relayedUpstream(long bytes) {
        bytesIn += bytes;
        meters.relayedUpstream(bytes);
    }

    void relayedDownstream(long bytes) {
        bytesOut += bytes;
        meters.relayedDownstream(bytes);
    }

    /** cless answered with {@code error}; {@code host} is the requested host when known. */
    void answered(ClientError error, String host) {
        if (this.host == null) {
            this.host = host;
        }
        if (outcome == null) {
            outcome = Integer.toString(error.status());
        }
    }

    /** The relay ended on an error of either connection rather than by a close. */
    void relayFailed() {
        if (outcome == null) {
            outcome = "error";
        }
    }

    private void closed() {
        if (meters != null) {
            meters.connectionClosed();
        }
        // A connection that asked for nothing (closed while its head was read) has nothing to log.
        if (admin || service == null && outcome == null || !access.isInfoEnabled()) {
            return;
        }
        String ended = outcome != null ? outcome : relaying ? "ok" : "aborted";
        access.info("client={} host={} service={} instance={} in={} out={} ms={} outcome={}",
                client(channel.remoteAddress()), orDash(host), orDash(service), orDash(instanceId), bytesIn, bytesOut,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAtNanos), ended);
    }

    /** {@code 127.0.0.1:54321}, without the slash of {@link InetSocketAddress#toString()}. */
    private static String client(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return address == null ? "-" : address.toString();
    }

    private static String orDash(String value) {
        return value == null ? "-" : value;
    }
}
