package cloud.cless.proxy;

import cloud.cless.core.service.ServiceRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Everything {@code cless serve} is configured with, after flags and environment were read.
 *
 * @param bind                 address the proxy listens on
 * @param port                 port the proxy listens on (0: any free port, for tests)
 * @param domain               services default to {@code <name>.<domain>}
 * @param adminHost            host that reaches the admin API through the proxy port
 * @param adminPort            port of the admin API on 127.0.0.1 (0: not served there; -1: any free port, tests)
 * @param adminToken           explicit admin token, or null to use the one in the data dir
 * @param dataDir              state directory
 * @param store                where definitions are kept
 * @param dockerHost           engine address, or null for DOCKER_HOST / the local socket
 * @param portRange            host ports for containers, {@code first-last}
 * @param idleTimeout          default idle timeout of a service
 * @param startupTimeout       default startup timeout of a service
 * @param maxHeaderSize        largest request head in bytes
 * @param headerTimeout        time allowed for each request head
 * @param drainTimeout         time open connections get on shutdown
 * @param io                   transport choice
 * @param eventLoopThreads     event-loop threads, 0 for two per core (Netty's default)
 * @param allowRemoteUpstreams accept non-loopback upstreams
 * @param stopTimeout          time a container gets to stop before it is killed
 * @param queueSize            requests that may wait for a revision at {@code max_instances}
 * @param queueTimeout         how long such a request waits before it gets 503
 * @param revisionHistory      the newest revisions of a service kept whatever their traffic (at least 1)
 * @param storeUrl             the JDBC URL of the shared database with {@link StoreKind#POSTGRES}, else null
 * @param keepAliveTimeout     how long a client connection may idle between requests
 * @param upstreamIdleTimeout  how long an idle pooled connection to an instance is kept
 * @param maxBodySize          largest request body accepted (413 above); 0 for no limit
 * @param trustedProxies       peers (addresses, CIDR blocks) whose X-Forwarded-* fields are kept
 * @param runtime              where instances run: containers on one Docker engine, or tasks of a Docker Swarm
 *                             whose manager {@code dockerHost} names
 */
public record ServerConfig(
        String bind,
        int port,
        String domain,
        String adminHost,
        int adminPort,
        String adminToken,
        Path dataDir,
        StoreKind store,
        String dockerHost,
        String portRange,
        Duration idleTimeout,
        Duration startupTimeout,
        int maxHeaderSize,
        Duration headerTimeout,
        Duration drainTimeout,
        IoMode io,
        int eventLoopThreads,
        boolean allowRemoteUpstreams,
        Duration stopTimeout,
        int queueSize,
        Duration queueTimeout,
        int revisionHistory,
        String storeUrl,
        Duration keepAliveTimeout,
        Duration upstreamIdleTimeout,
        long maxBodySize,
        List<String> trustedProxies,
        RuntimeKind runtime) {

    /** Where service definitions are kept: this host's SQLite file, memory, or a PostgreSQL database replicas share. */
    public enum StoreKind { SQLITE, MEMORY, POSTGRES }

    /** Where instances run: containers on one Docker engine, or the tasks of a Swarm service per revision. */
    public enum RuntimeKind { DOCKER, SWARM }

    public ServerConfig {
        domain = domain.toLowerCase(Locale.ROOT);
        adminHost = adminHost == null || adminHost.isBlank()
                ? "admin." + domain : adminHost.toLowerCase(Locale.ROOT);
        if (revisionHistory < 1) {
            throw new IllegalArgumentException("--revision-history must be at least 1, got " + revisionHistory);
        }
        storeUrl = storeUrl == null || storeUrl.isBlank() ? null : storeUrl.strip();
        if (store == StoreKind.POSTGRES && storeUrl == null) {
            throw new IllegalArgumentException("--store postgres needs --store-url, the database's JDBC URL (e.g."
                    + " jdbc:postgresql://db.example:5432/cless?user=cless)");
        }
        if (store != StoreKind.POSTGRES && storeUrl != null) {
            throw new IllegalArgumentException("--store-url is only used with --store postgres, not with --store "
                    + store.name().toLowerCase(Locale.ROOT));
        }
        trustedProxies = List.copyOf(trustedProxies);
        if (runtime == null) {
            runtime = RuntimeKind.DOCKER;
        }
    }

    /** A configuration of the docker runtime with the request path's own settings at their defaults. */
    public ServerConfig(String bind, int port, String domain, String adminHost, int adminPort, String adminToken,
                        Path dataDir, StoreKind store, String dockerHost, String portRange, Duration idleTimeout,
                        Duration startupTimeout, int maxHeaderSize, Duration headerTimeout, Duration drainTimeout,
                        IoMode io, int eventLoopThreads, boolean allowRemoteUpstreams, Duration stopTimeout,
                        int queueSize, Duration queueTimeout, int revisionHistory, String storeUrl) {
        this(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store, dockerHost, portRange,
                idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io, eventLoopThreads,
                allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, revisionHistory, storeUrl,
                ProxyConfig.DEFAULT_KEEPALIVE_TIMEOUT, ProxyConfig.DEFAULT_UPSTREAM_IDLE_TIMEOUT, 0, List.of(),
                RuntimeKind.DOCKER);
    }

    /** A configuration of a store of this host alone ({@code --store sqlite} or {@code memory}). */
    public ServerConfig(String bind, int port, String domain, String adminHost, int adminPort, String adminToken,
                        Path dataDir, StoreKind store, String dockerHost, String portRange, Duration idleTimeout,
                        Duration startupTimeout, int maxHeaderSize, Duration headerTimeout, Duration drainTimeout,
                        IoMode io, int eventLoopThreads, boolean allowRemoteUpstreams, Duration stopTimeout,
                        int queueSize, Duration queueTimeout, int revisionHistory) {
        this(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store, dockerHost, portRange,
                idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io, eventLoopThreads,
                allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, revisionHistory, null);
    }

    /** A configuration that keeps the default revision history. */
    public ServerConfig(String bind, int port, String domain, String adminHost, int adminPort, String adminToken,
                        Path dataDir, StoreKind store, String dockerHost, String portRange, Duration idleTimeout,
                        Duration startupTimeout, int maxHeaderSize, Duration headerTimeout, Duration drainTimeout,
                        IoMode io, int eventLoopThreads, boolean allowRemoteUpstreams, Duration stopTimeout,
                        int queueSize, Duration queueTimeout) {
        this(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store, dockerHost, portRange,
                idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io, eventLoopThreads,
                allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, ServiceRegistry.DEFAULT_REVISION_HISTORY,
                null);
    }

    /** The same configuration with other request path settings. */
    public ServerConfig withRequestPath(Duration keepAliveTimeout, Duration upstreamIdleTimeout, long maxBodySize,
                                        List<String> trustedProxies) {
        return new ServerConfig(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store, dockerHost,
                portRange, idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io,
                eventLoopThreads, allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, revisionHistory,
                storeUrl, keepAliveTimeout, upstreamIdleTimeout, maxBodySize, trustedProxies, runtime);
    }

    /** The same configuration with instances on {@code kind} ({@code --runtime}). */
    public ServerConfig withRuntime(RuntimeKind kind) {
        return new ServerConfig(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store, dockerHost,
                portRange, idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io,
                eventLoopThreads, allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, revisionHistory,
                storeUrl, keepAliveTimeout, upstreamIdleTimeout, maxBodySize, trustedProxies, kind);
    }
}
