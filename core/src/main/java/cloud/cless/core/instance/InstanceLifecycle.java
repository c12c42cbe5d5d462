package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceListener;
import cloud.cless.core.upstream.UpstreamInstances;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The instances of the registered services, as the proxy asks for them: a lease per request (on a ready container
 * with room, found without a lock; else through the service's {@link ServicePool}: a cold start, a resume, the wait
 * queue), or on an upstream's fixed address. It wires the lifecycle's parts (cold start, spares, pause and resume,
 * retirement, the engine watch and reconcile) and runs their periodic maintenance.
 */
public final class InstanceLifecycle implements InstanceManager, ServiceListener {
    private final ServiceDirectory services;
    private final EventLoopGroup group;
    private final InstanceManagerConfig config;
    private final Pools pools;
    private final UpstreamInstances upstreams;
    private final EngineWatch engine;
    private final Spares spares;
    private final ColdStart coldStart;
    private final EffectRunner runner;
    private final EngineReports reports;
    private final ServiceChanges changes;
    private final Shutdown shutdown;
    private final StartGate gate;
    private volatile boolean shuttingDown;
    private volatile boolean reconciled;
    private volatile ScheduledFuture<?> maintenance;

    /**
     * @param runtime        the container engine
     * @param ports          host ports for published containers
     * @param control        runs port allocation (its bind checks are syscalls) and upstream name lookups, off the
     *                       event loops
     * @param probe          readiness probe, made for the channel type of {@code group}
     * @param group          event loops the probes and the periodic maintenance run on
     * @param installationId this installation's id, put on and looked for in container labels
     * @param services       the registered services now
     * @param clock          time for activity and idle accounting
     * @param config         settings that are not per service
     * @param metrics        where cold starts, queue waits and instances by state are recorded
     */
    public InstanceLifecycle(ContainerRuntime runtime, HostPorts ports, Executor control, ReadinessProbe probe,
                             EventLoopGroup group, String installationId, ServiceDirectory services, Clock clock,
                             InstanceManagerConfig config, ClessMetrics metrics) {
        this(runtime, ports, control, probe, group, installationId, services, clock, config, metrics,
                StartGate.OPEN);
    }

    /**
     * As the other constructor, with {@code gate} consulted before every start: while it is closed, requests that
     * need a start fail with {@link AcquireFailure.Reason#UNAVAILABLE} and no top-up or spare is made, while warm
     * instances keep serving.
     */
    public InstanceLifecycle(ContainerRuntime runtime, HostPorts ports, Executor control, ReadinessProbe probe,
                             EventLoopGroup group, String installationId, ServiceDirectory services, Clock clock,
                             InstanceManagerConfig config, ClessMetrics metrics, StartGate gate) {
        this.services = services;
        this.gate = gate;
        this.group = group;
        this.config = config;
        Supplier<String> ids = InstanceLifecycle::newInstanceId;
        this.pools = new Pools(metrics, services, clock, ids, config.maxQueuedPerService());
        this.upstreams = new UpstreamInstances(control);
        this.engine = new EngineWatch(runtime, installationId, group, clock, config.surveyInterval());
        Retirement retirement = new Retirement(runtime, ports, config.stopGraceSeconds(), engine::failed);
        this.spares = new Spares(runtime, ports, control, installationId, clock, ids, retirement, this::mayCreate,
                engine::failed);
        this.coldStart = new ColdStart(runtime, ports, control, probe, group, installationId, ids, spares, engine,
                retirement, metrics, gate);
        this.runner = new EffectRunner(clock, metrics, config.queueTimeout(), coldStart,
                new PauseResume(runtime, engine), retirement);
        Reconciler reconciler = new Reconciler(pools, services, ports, coldStart, spares, retirement, runner);
        this.reports = new EngineReports(ports, retirement, reconciler, pools, spares, coldStart, runner,
                this::reconciled);
        this.changes = new ServiceChanges(services, pools, spares, upstreams, runner, metrics, this::maintain);
        this.shutdown = new Shutdown(pools, spares, coldStart, retirement, runner, group);
        metrics.trackEngine(engine::isUp, retirement::unremovedCount);
    }

    // ---- InstanceManager ----

    @Override
    public Future<InstanceLease> acquire(ServiceDefinition routed, EventLoop loop) {
        if (shuttingDown) {
            return loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + routed.name() + ": cless is shutting down"));
        }
        // The definition the registry has now, not the one the request was routed with: never an old version.
        ServiceDefinition current = services.current(routed.name());
        if (current == null) {
            return loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.NOT_FOUND,
                    "service " + routed.name() + " was deleted"));
        }
        if (current.isUpstream()) {
            return upstreams.acquire(current, loop);
        }
        ServicePool pool = pools.get(current.name());
        InFlight epoch = pool == null ? null : pool.tryLease(current);
        if (epoch != null) {
            return loop.newSucceededFuture(new ContainerLease(pool, epoch, -1, runner));
        }
        return throughThePool(pool, current, loop);
    }

    /** The slow path: the pool decides under its lock (join a start, resume, start, queue) and completes later. */
    private Future<InstanceLease> throughThePool(ServicePool known, ServiceDefinition current, EventLoop loop) {
        ResolvedService spec = known != null && known.spec().definition() == current ? known.spec()
                : ResolvedService.of(current, services.defaults());
        ServicePool pool = known != null ? known : pools.getOrCreate(spec);
        if (pool == null) {
            // Deleted or changed while this request was on its way: ask again with what is current now.
            return acquire(current, loop);
        }
        Waiter waiter = new Waiter(loop);
        runner.decide(pool, fx -> pool.acquire(waiter, spec, fx));
        if (!waiter.promise.isDone()) {
            waiter.promise.addListener(f -> {
                if (f.isCancelled()) {
                    runner.decide(pool, fx -> pool.abandoned(waiter, fx));
                }
            });
        }
        return waiter.promise;
    }

    @Override
    public List<InstanceInfo> instances(String serviceName) {
        ServicePool pool = pools.get(serviceName);
        return pool == null ? List.of() : pool.read(PoolInstances::snapshot);
    }

    /**
     * Per pool key (the service today; the revision once pools are kept per revision), what the pools that have
     * instances have now: requests leased or waiting, and the latest activity, on this lifecycle's clock. For the
     * replica's report to the cluster: thread-safe and cheap (each pool's lock for a moment, no engine call).
     */
    public Map<String, PoolActivity> activity() {
        return pools.activity();
    }

    /**
     * Reconciles, starts {@code min_instances} and begins watching the engine. When the engine cannot be reached,
     * this still completes: the outage is logged once, the engine is checked again in the background, and cold
     * starts fail with {@link AcquireFailure.Reason#UNAVAILABLE} until it is back.
     */
    @Override
    public CompletableFuture<Void> start() {
        for (ServiceDefinition def : services.all()) {
            if (def.isUpstream()) {
                upstreams.defined(def);
            }
        }
        long every = config.reapInterval().toMillis();
        maintenance = group.next().scheduleWithFixedDelay(this::maintainAll, every, every, TimeUnit.MILLISECONDS);
        return engine.start(reports);
    }

    @Override
    public CompletableFuture<Void> shutdown(Duration drain) {
        shuttingDown = true;
        ScheduledFuture<?> periodic = maintenance;
        if (periodic != null) {
            periodic.cancel(false);
        }
        engine.close();
        return shutdown.run(drain);
    }

    // ---- ServiceListener: in the order the registry committed the changes ----

    @Override
    public void serviceCreated(ServiceDefinition definition) {
        changes.created(definition);
    }

    @Override
    public void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
        changes.updated(previous, current);
    }

    @Override
    public void serviceDeleted(ServiceDefinition definition) {
        changes.deleted(definition);
    }

    // ---- maintenance ----

    /** Reaps and tops up every pool, and makes missing spares; runs every reap interval. */
    void maintainAll() {
        for (ServicePool pool : pools.active()) {
            maintain(pool);
        }
    }

    /** The engine, for tests that check it again at once instead of waiting for its backoff. */
    EngineWatch engine() {
        return engine;
    }

    private void maintain(ServicePool pool) {
        if (shuttingDown) {
            return;
        }
        boolean mayCreate = mayCreate();
        runner.decide(pool, fx -> pool.maintain(mayCreate, fx));
        if (mayCreate) {
            spares.replenish(pool.spec());
        }
    }

    /** Containers left from an earlier run are settled: every registered service gets its pool and its minimum. */
    private void reconciled() {
        reconciled = true;
        for (ServiceDefinition def : services.all()) {
            if (!def.isUpstream()) {
                pools.getOrCreate(ResolvedService.of(def, services.defaults()));
            }
        }
        maintainAll();
    }

    /**
     * Containers are created (top-ups, spares) only once reconciled, while the engine is up, the start gate open
     * and cless runs.
     */
    private boolean mayCreate() {
        return reconciled && engine.isUp() && !shuttingDown && gate.refusal() == null;
    }

    private static String newInstanceId() {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
