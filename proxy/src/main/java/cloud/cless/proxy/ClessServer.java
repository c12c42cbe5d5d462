package cloud.cless.proxy;

import cloud.cless.admin.AdminPipeline;
import cloud.cless.admin.AdminServer;
import cloud.cless.admin.AdminToken;
import cloud.cless.core.BoundedExecutor;
import cloud.cless.core.DataDirectory;
import cloud.cless.core.cluster.ClusterScaler;
import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.cluster.InstanceSharing;
import cloud.cless.core.instance.InstanceLifecycle;
import cloud.cless.core.instance.InstanceManagerConfig;
import cloud.cless.core.instance.ReadinessProbe;
import cloud.cless.core.instance.ServiceDirectory;
import cloud.cless.core.instance.SwarmSettings;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.port.PortAllocator;
import cloud.cless.core.port.PortRange;
import cloud.cless.core.runtime.DockerContainerRuntime;
import cloud.cless.core.runtime.EngineExecutors;
import cloud.cless.core.runtime.swarm.SwarmClient;
import cloud.cless.core.runtime.swarm.SwarmScaler;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.proxy.log.LogMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running cless: takes the data directory, wires the store, the registry, its part in the cluster, the
 * container runtime (a Docker engine, or a Docker Swarm with {@code --runtime swarm}), the instance lifecycle, the
 * admin API and the proxy listener on one event-loop group, and takes them down again in order.
 *
 * <p>Blocking work runs on three bounded pools, so that nothing waits behind slower work of another kind: JDBC
 * (admin writes) on its own, quick engine calls (what a cold start waits for) on another, and slow engine calls
 * (stops that wait out their grace period, removals, pauses, pulls) on a third.
 */
public final class ClessServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClessServer.class);
    /** JDBC: SQLite takes one writer at a time; a second thread keeps a read from queueing behind a write. */
    private static final int STORE_THREADS = 2;
    private static final int STORE_QUEUE = 1_000;
    /** Engine calls a cold start waits for; the engine serialises much of its work anyway. */
    private static final int ENGINE_CONTROL_THREADS = 8;
    /** Stops block for up to --stop-timeout each: as many as may run side by side. */
    private static final int ENGINE_SLOW_THREADS = 8;
    /** Calls to a Swarm manager: polls of tasks and scales, each quick. */
    private static final int SWARM_THREADS = 8;
    private static final int SWARM_QUEUE = 10_000;
    private static final Duration RECONCILE_WAIT = Duration.ofSeconds(60);
    private static final Duration REAP_INTERVAL = Duration.ofSeconds(1);
    private static final Duration SURVEY_INTERVAL = Duration.ofSeconds(10);

    private final ServerConfig config;
    // What start() opened, closed in reverse order by close().
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    // The executors engine and swarm calls run on, refused new work first by closeLeavingContainers().
    private final List<Runnable> runtimeHalts = new ArrayList<>();
    private ProxyServer proxy;
    private AdminServer adminServer;
    private InstanceLifecycle instances;
    private ServiceRegistry registry;
    private InetSocketAddress proxyAddress;
    private InetSocketAddress adminAddress;
    private boolean closed;

    public ClessServer(ServerConfig config) {
        this.config = config;
    }

    /**
     * Starts everything and returns once the proxy accepts connections. Blocks; call from a thread that is not an
     * event loop. On failure everything already started is closed again.
     *
     * @throws ProxyBindException when the proxy port cannot be bound
     */
    public synchronized ClessServer start() {
        try {
            doStart();
            return this;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void doStart() {
        DataDirectory dataDir = new DataDirectory(config.dataDir()).create();
        // First: a second cless on this directory would share its installation id and remove its containers.
        opened.push(dataDir.lock());
        String installationId = dataDir.installationId();
        log.info("Starting cless (data dir {}, installation {})", dataDir.root(), installationId);

        PrometheusMeterRegistry meterRegistry = newMeterRegistry();
        ClessMetrics metrics = new ClessMetrics(meterRegistry);

        Transport transport = Transport.select(config.io());
        EventLoopGroup group = transport.newEventLoopGroup(config.eventLoopThreads());
        opened.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());

        EngineExecutors engine = new EngineExecutors(ENGINE_CONTROL_THREADS, ENGINE_SLOW_THREADS);
        opened.push(engine);
        runtimeHalts.add(engine::refuseNewWork);
        ExecutorService storeCalls = BoundedExecutor.newFixed("cless-store", STORE_THREADS, STORE_QUEUE);
        opened.push(() -> shutdownExecutor(storeCalls));

        StoreSetup store = StoreSetup.open(config, dataDir, System.getenv());
        opened.push(store);
        boolean onSwarm = config.runtime() == ServerConfig.RuntimeKind.SWARM;
        ServiceValidator validator = new ServiceValidator(config.allowRemoteUpstreams(), Set.of(config.adminHost()));
        registry = new ServiceRegistry(store.store(), onSwarm ? validator.refusingPause("swarm") : validator,
                new DefinitionDefaults(config.domain(), seconds(config.idleTimeout()),
                        seconds(config.startupTimeout())),
                storeCalls, Clock.systemUTC(), config.revisionHistory());
        registry.load();

        // The docker runtime's containers are this replica's own, on its own engine: it starts and reaps them
        // itself, with or without the shared database. A swarm's services are every replica's: the leader scales
        // them, and none is started while the database is out of reach (see ClusterStartGate).
        ClusterSetup cluster = ClusterSetup.open(store, config.bind(), config.port(),
                onSwarm ? InstanceSharing.SHARED : InstanceSharing.PER_REPLICA, Clock.systemUTC());
        opened.push(cluster);

        ChannelFactory<SocketChannel> probeChannels = new ReflectiveChannelFactory<>(transport.socketChannelClass());
        ReadinessProbe probe = new ReadinessProbe(probeChannels);
        ServiceDirectory services = ServiceDirectory.of(registry);
        InstanceManagerConfig lifecycle = new InstanceManagerConfig((int) config.stopTimeout().toSeconds(),
                config.queueSize(), config.queueTimeout(), REAP_INTERVAL, SURVEY_INTERVAL);
        ClusterScaler scaler;
        if (onSwarm) {
            String clusterId = store.sharedInstallationId(installationId);
            SwarmClient swarm = swarmClient();
            log.info("Instances run on the swarm managed at {} (services labelled installation {})",
                    swarm.dockerHost(), clusterId);
            boolean leaderScales = store.endpoint().isPresent();
            instances = InstanceLifecycle.onSwarm(swarm, SwarmSettings.of(config.drainTimeout(), leaderScales),
                    engine.control(), probe, group, clusterId, services, Clock.systemUTC(), lifecycle, metrics,
                    cluster.startGate());
            scaler = leaderScales ? new SwarmScaler(swarm, clusterId) : ClusterScaler.PER_REPLICA;
        } else {
            DockerContainerRuntime runtime = new DockerContainerRuntime(config.dockerHost(), engine);
            opened.push(runtime);
            instances = new InstanceLifecycle(runtime, new PortAllocator(PortRange.parse(config.portRange())),
                    engine.control(), probe, group, installationId, services, Clock.systemUTC(), lifecycle, metrics,
                    cluster.startGate());
            scaler = ClusterScaler.PER_REPLICA;
        }
        registry.addListener(instances);
        store.follow(registry);
        ClusterStatus clusterStatus = cluster.attach(instances, services, scaler);
        awaitReconcile();

        AdminToken token = AdminToken.resolve(config.adminToken(), dataDir);
        AdminPipeline adminPipeline = new AdminPipeline(registry, instances, token, meterRegistry, clusterStatus);
        if (config.adminPort() != 0) {
            adminServer = new AdminServer(Math.max(config.adminPort(), 0), group, transport.serverChannelClass(),
                    adminPipeline);
            opened.push(adminServer);
            adminAddress = join(adminServer.start());
        }

        ProxyConfig proxyConfig = ProxyConfig.defaults(config.bind(), config.port(), config.domain())
                .withAdminHost(config.adminHost())
                .withMaxHeaderSize(config.maxHeaderSize())
                .withHeaderTimeout(config.headerTimeout())
                .withKeepAliveTimeout(config.keepAliveTimeout())
                .withUpstreamIdleTimeout(config.upstreamIdleTimeout())
                .withMaxBodySize(config.maxBodySize())
                .withTrustedProxies(TrustedProxies.parse(config.trustedProxies()));
        proxy = new ProxyServer(proxyConfig, transport, group, registry, instances,
                channel -> adminPipeline.install(channel.pipeline()), metrics);
        opened.push(proxy);
        proxyAddress = proxy.start();
        cluster.serving(proxyAddress);
        log.info("cless is serving on {} (admin host {}{})", proxyAddress, config.adminHost(),
                adminAddress == null ? "" : ", admin API also on " + adminAddress);
    }

    /** A client of the swarm manager at {@code --docker-host}, on threads of its own. */
    private SwarmClient swarmClient() {
        ExecutorService swarmCalls = BoundedExecutor.newFixed("cless-swarm", SWARM_THREADS, SWARM_QUEUE);
        opened.push(() -> shutdownExecutor(swarmCalls));
        runtimeHalts.add(swarmCalls::shutdown);
        SwarmClient swarm = new SwarmClient(config.dockerHost(), swarmCalls, SwarmClient.DEFAULT_CALL_TIMEOUT);
        opened.push(swarm);
        return swarm;
    }

    /** The registry {@code GET /metrics} serves: cless's own meters plus JVM, process and Netty memory basics. */
    private PrometheusMeterRegistry newMeterRegistry() {
        PrometheusMeterRegistry meterRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        opened.push(meterRegistry::close);
        new JvmMemoryMetrics().bindTo(meterRegistry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(meterRegistry);
        opened.push(gc);
        new ProcessorMetrics().bindTo(meterRegistry);
        new UptimeMetrics().bindTo(meterRegistry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
            new NettyAllocatorMetrics(allocator).bindTo(meterRegistry);
        }
        LogMetrics.bind(meterRegistry);
        return meterRegistry;
    }

    /** Adopts or removes containers of an earlier run before traffic arrives; a slow engine does not stop us. */
    private void awaitReconcile() {
        try {
            instances.start().get(RECONCILE_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            log.warn("Reconciling containers takes longer than {} s; serving meanwhile", RECONCILE_WAIT.toSeconds());
        } catch (ExecutionException e) {
            log.warn("Could not reconcile containers at start-up: {}", e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reconciling containers", e);
        }
    }

    public InetSocketAddress proxyAddress() {
        return proxyAddress;
    }

    /** The admin API's own address on 127.0.0.1, or null when {@code --admin-port 0}. */
    public InetSocketAddress adminAddress() {
        return adminAddress;
    }

    public ServiceRegistry registry() {
        return registry;
    }

    /**
     * Graceful stop: no new connections; idle ones close at once, requests in flight (and tunnels) get up to the
     * drain timeout to finish, their responses saying {@code Connection: close}; then the managed containers are
     * stopped and removed and everything is closed. Idempotent; blocks.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration drain = config.drainTimeout();
        if (proxy != null) {
            proxy.stopAccepting();
            log.info("Draining {} open connection(s) (up to {} s)", proxy.openConnections(), drain.toSeconds());
            proxy.drain();
            try {
                if (!proxy.awaitConnectionsClosed(drain)) {
                    log.warn("{} connection(s) still open after {} s; closing them",
                            proxy.openConnections(), drain.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (adminServer != null) {
            adminServer.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (instances != null) {
            try {
                // Connections are closed by now: nothing left to drain but containers to remove.
                instances.shutdown(Duration.ZERO).get(2 * drain.toSeconds() + 60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("Could not remove every managed container on shutdown: {}", e.toString());
            }
        }
        closeOpened();
        log.info("cless stopped");
    }

    /**
     * Stops the way a crash or a kill -9 would as far as containers go: connections are cut and everything is
     * closed, but the managed containers are left running for the next start to adopt. For tests of adoption
     * across a restart; {@link #close()} is the shutdown. Idempotent; blocks.
     */
    public synchronized void closeLeavingContainers() {
        if (closed) {
            return;
        }
        closed = true;
        // Before connections are cut: a lease they end must not retire its instance as a shutdown would.
        runtimeHalts.forEach(Runnable::run);
        if (adminServer != null) {
            adminServer.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        closeOpened();
        log.info("cless stopped, managed containers left running");
    }

    private void closeOpened() {
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Error while closing {}: {}", resource, e.toString());
            }
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause.getMessage(), cause);
        }
    }

    private static void shutdownExecutor(ExecutorService executor) throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
            executor.shutdownNow();
        }
    }

    private static int seconds(Duration duration) {
        return (int) Math.max(1, duration.toSeconds());
    }
}
