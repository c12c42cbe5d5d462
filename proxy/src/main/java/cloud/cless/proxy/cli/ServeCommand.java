package cloud.cless.proxy.cli;

import ch.qos.logback.classic.LoggerContext;
import cloud.cless.core.DataDirectoryInUseException;
import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ProxyBindException;
import cloud.cless.proxy.ServerConfig;
import cloud.cless.proxy.TrustedProxies;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cless serve}: runs the proxy, the admin API and the instance manager until SIGTERM/SIGINT. */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = {
            "Serves HTTP on --port: routes each request by its Host header to a container of the service",
            "registered for that host, starting one when none runs. Every flag can also be set as an",
            "environment variable CLESS_<FLAG> (e.g. CLESS_PORT=8080)."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--port", defaultValue = "${env:CLESS_PORT:-80}",
            description = "Port for all HTTP traffic (services and the admin host).")
    int port;

    @Option(names = "--bind", defaultValue = "${env:CLESS_BIND:-0.0.0.0}", description = "Address to listen on.")
    String bind;

    @Option(names = "--domain", defaultValue = "${env:CLESS_DOMAIN:-localhost}",
            description = "Services get the host <name>.<domain> unless they name one.")
    String domain;

    @Option(names = "--admin-host", defaultValue = "${env:CLESS_ADMIN_HOST}",
            description = "Host that reaches the admin API through --port (default admin.<domain>).")
    String adminHost;

    @Option(names = "--admin-port", defaultValue = "${env:CLESS_ADMIN_PORT:-1323}",
            description = "Also serve the admin API on 127.0.0.1:<port>; 0 disables it.")
    int adminPort;

    @Option(names = "--admin-token", defaultValue = "${env:CLESS_ADMIN_TOKEN}", showDefaultValue = Visibility.NEVER,
            description = "Bearer token of the admin API (default: generated once, kept in <data-dir>/admin.token).")
    String adminToken;

    @Option(names = "--data-dir", defaultValue = "${env:CLESS_DATA_DIR:-./cless-data}",
            description = "Where the store, the admin token and the installation id live.")
    Path dataDir;

    @Option(names = "--store", defaultValue = "${env:CLESS_STORE:-sqlite}",
            description = "Where definitions are kept: ${COMPLETION-CANDIDATES} (postgres: shared by several"
                    + " cless replicas, at --store-url).")
    ServerConfig.StoreKind store;

    @Option(names = "--store-url", defaultValue = "${env:CLESS_STORE_URL}",
            description = "With --store postgres: the database as a JDBC URL, e.g."
                    + " jdbc:postgresql://db.example:5432/cless?user=cless; the password from "
                    + PostgresEndpoint.PASSWORD_ENV + " (or the URL's password parameter).")
    String storeUrl;

    @Option(names = "--docker-host", defaultValue = "${env:CLESS_DOCKER_HOST}",
            description = "Docker engine address (default: DOCKER_HOST, else the local socket); with --runtime"
                    + " swarm, a manager of the swarm.")
    String dockerHost;

    @Option(names = "--runtime", defaultValue = "${env:CLESS_RUNTIME:-docker}",
            description = "Where instances run: ${COMPLETION-CANDIDATES} (docker: containers on the engine of"
                    + " --docker-host; swarm: a Swarm service per revision, its tasks on the swarm's nodes).")
    ServerConfig.RuntimeKind runtime;

    @Option(names = "--port-range", defaultValue = "${env:CLESS_PORT_RANGE:-20000-29999}",
            description = "Host ports (on 127.0.0.1) given to containers.")
    String portRange;

    @Option(names = "--idle-timeout", defaultValue = "${env:CLESS_IDLE_TIMEOUT:-300s}",
            description = "Default idle time after which an instance is stopped.")
    Duration idleTimeout;

    @Option(names = "--startup-timeout", defaultValue = "${env:CLESS_STARTUP_TIMEOUT:-30s}",
            description = "Default time a container has to become ready.")
    Duration startupTimeout;

    @Option(names = "--max-header-size", defaultValue = "${env:CLESS_MAX_HEADER_SIZE:-16384}",
            description = "Largest request head, in bytes (431 above).")
    int maxHeaderSize;

    @Option(names = "--header-timeout", defaultValue = "${env:CLESS_HEADER_TIMEOUT:-10s}",
            description = "Time a client has to send each request head (408 after).")
    Duration headerTimeout;

    @Option(names = "--keepalive-timeout", defaultValue = "${env:CLESS_KEEPALIVE_TIMEOUT:-60s}",
            description = "How long a client connection may stay idle between requests before it is closed.")
    Duration keepAliveTimeout;

    @Option(names = "--upstream-idle-timeout", defaultValue = "${env:CLESS_UPSTREAM_IDLE_TIMEOUT:-30s}",
            description = "How long an idle connection to a container is kept for the next request.")
    Duration upstreamIdleTimeout;

    @Option(names = "--max-body-size", defaultValue = "${env:CLESS_MAX_BODY_SIZE:-0}",
            converter = SizeConverter.class, showDefaultValue = Visibility.NEVER,
            description = "Largest request body (e.g. 10m; 413 above). Default: no limit.")
    long maxBodySize;

    @Option(names = "--trusted-proxies", defaultValue = "${env:CLESS_TRUSTED_PROXIES}", split = ",",
            showDefaultValue = Visibility.NEVER,
            description = "Addresses or CIDR blocks of proxies in front of cless whose X-Forwarded-* headers are"
                    + " kept (comma-separated). Default: none; an incoming X-Forwarded-For is replaced.")
    List<String> trustedProxies;

    @Option(names = "--drain-timeout", defaultValue = "${env:CLESS_DRAIN_TIMEOUT:-30s}",
            description = "On shutdown, how long requests in flight may take to finish (idle connections close at once).")
    Duration drainTimeout;

    @Option(names = "--io", defaultValue = "${env:CLESS_IO:-auto}",
            description = "I/O transport: ${COMPLETION-CANDIDATES} (auto: io_uring when available, else epoll, else nio).")
    IoMode io;

    @Option(names = "--event-loop-threads", defaultValue = "${env:CLESS_EVENT_LOOP_THREADS:-0}",
            description = "Event-loop threads; 0 means one per core.")
    int eventLoopThreads;

    @Option(names = "--allow-remote-upstreams", defaultValue = "${env:CLESS_ALLOW_REMOTE_UPSTREAMS:-false}",
            description = "Accept upstream addresses that are not loopback.")
    boolean allowRemoteUpstreams;

    @Option(names = "--stop-timeout", defaultValue = "${env:CLESS_STOP_TIMEOUT:-10s}",
            description = "Time a container gets to exit after SIGTERM before it is killed.")
    Duration stopTimeout;

    @Option(names = "--queue-size", defaultValue = "${env:CLESS_QUEUE_SIZE:-100}",
            description = "Requests that may wait per revision when it runs max_instances, all busy (503 above).")
    int queueSize;

    @Option(names = "--queue-timeout", defaultValue = "${env:CLESS_QUEUE_TIMEOUT:-30s}",
            description = "How long such a request waits for a free instance (503 after).")
    Duration queueTimeout;

    @Option(names = "--revision-history", defaultValue = "${env:CLESS_REVISION_HISTORY:-10}",
            description = "Newest revisions kept per service; older ones without traffic or a tag are deleted.")
    int revisionHistory;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (revisionHistory < 1) {
            throw new ParameterException(spec.commandLine(), "--revision-history must be at least 1 (the latest"
                    + " revision is always kept), got " + revisionHistory);
        }
        ServerConfig config;
        try {
            config = new ServerConfig(bind, port, domain, adminHost, adminPort, adminToken, dataDir, store,
                    dockerHost, portRange, idleTimeout, startupTimeout, maxHeaderSize, headerTimeout, drainTimeout, io,
                    eventLoopThreads, allowRemoteUpstreams, stopTimeout, queueSize, queueTimeout, revisionHistory,
                    storeUrl, keepAliveTimeout, upstreamIdleTimeout, maxBodySize,
                    trustedProxies == null ? List.of() : trustedProxies, runtime);
            if (config.store() == ServerConfig.StoreKind.POSTGRES) {
                PostgresEndpoint.fromStoreUrl(config.storeUrl(), Map.of(), "check"); // the URL's form, up front
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            TrustedProxies.parse(config.trustedProxies());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--trusted-proxies: " + e.getMessage());
        }
        ClessServer server = new ClessServer(config);
        try {
            server.start();
        } catch (ProxyBindException e) {
            log.error("{}", bindFailureMessage(e));
            return 1;
        } catch (DataDirectoryInUseException e) {
            log.error("cless could not start: {}", e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            log.error("cless could not start: {}", e.getMessage(), e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM and SIGINT run shutdown hooks: drain, remove containers, then let main return.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Shutting down");
            server.close();
            stopped.countDown();
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
                context.stop(); // flush the async appender before the JVM exits
            }
        }, "cless-shutdown"));
        stopped.await();
        return 0;
    }

    private String bindFailureMessage(ProxyBindException e) {
        String address = e.address();
        if (e.permissionDenied()) {
            return "cannot listen on " + address + ": permission denied. Ports below 1024 need root or "
                    + "CAP_NET_BIND_SERVICE; choose another port with --port (e.g. --port 8080)";
        }
        return "cannot listen on " + address + ": " + e.getMessage()
                + "; choose another address or port with --bind / --port";
    }
}
