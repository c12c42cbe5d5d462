package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
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
 * The instances of the registered services, as the proxy asks for them: a lease per request on an instance of the
 * revision that serves it (on a ready container with room, found without a lock; else through that revision's
 * {@link ServicePool}: a cold start, a resume, the wait queue), or on an upstream revision's fixed address. Each
 * revision has a pool of its own. It wires the lifecycle's parts (lease routing, cold start, spares, pause and
 * resume, retirement, the engine watch and reconcile) and runs their periodic maintenance.
 */
public final class InstanceLifecycle implements InstanceManager, ServiceListener {
    private final ServiceDirectory services;
    private final EventLoopGroup group;
    private final InstanceManagerConfig config;
    private final Pools pools;
    private final UpstreamInstances upstreams;
    private final EngineWatch engine;
    private final Spares spares;
    private final LeaseRouting routing;
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
        ColdStart coldStart = new ColdStart(runtime, ports, control, probe, group, installationId, ids, spares,
                engine, retirement, gate);
        this.runner = new EffectRunner(clock, config.queueTimeout(), coldStart, new PauseResume(runtime, engine),
                retirement, this::readmit);
        this.routing = new LeaseRouting(services, pools, upstreams, runner, () -> shuttingDown);
        Reconciler reconciler = new Reconciler(pools, services, ports, coldStart, spares, retirement, runner);
        this.reports = new EngineReports(ports, retirement, reconciler, pools, spares, coldStart, runner,
                this::reconciled);
        this.changes = new ServiceChanges(services, pools, spares, upstreams, runner, metrics, this::maintain);
        this.shutdown = new Shutdown(pools, spares, coldStart, retirement, runner, group);
        metrics.trackEngine(engine::isUp, retirement::unremovedCount);
    }

    // ---- InstanceManager ----

    /**
     * Acquires an instance of {@code service} for one request, the revision chosen by the service's traffic as
     * registered now, per call; only the name of {@code service} is used. For callers that do not route by host
     * (the proxy routes every request and calls {@link #acquire(Route, Revision, EventLoop)}); as that one
     * otherwise.
     */
    public Future<InstanceLease> acquire(ServiceDefinition service, EventLoop loop) {
        return routing.acquire(service.name(), null, null, loop);
    }

    @Override
    public Future<InstanceLease> acquire(Route route, Revision revision, EventLoop loop) {
        return routing.acquire(route.service().name(), revision.name(), route.tag(), loop);
    }

    @Override
    public List<InstanceInfo> instances(String serviceName) {
        RegisteredService service = services.service(serviceName);
        return service == null ? List.of() : pools.instances(service);
    }

    /**
     * Per revision, what its pools that have instances have now: requests leased or waiting, and the latest
     * activity, on this lifecycle's clock. For the replica's report to the cluster: thread-safe and cheap (each
     * pool's lock for a moment, no engine call).
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
        for (RegisteredService service : services.all()) {
            for (Revision revision : service.revisions()) {
                if (revision.spec().isUpstream() && Serving.of(service, revision.name()) != Serving.NONE) {
                    upstreams.defined(revision);
                }
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
    public void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
        changes.updated(current);
    }

    @Override
    public void serviceDeleted(ServiceDefinition definition) {
        changes.deleted(definition);
    }

    @Override
    public void revisionCreated(RegisteredService service, Revision revision) {
        changes.revisionCreated(service, revision);
    }

    @Override
    public void trafficChanged(RegisteredService previous, RegisteredService current) {
        changes.trafficChanged(current);
    }

    @Override
    public void revisionDeleted(RegisteredService service, Revision revision) {
        changes.revisionDeleted(service, revision);
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
        spares.replenish(pool);
    }

    /** A pool handed a request back (its revision serves no more): placed again by the traffic now. */
    private void readmit(Waiter waiter) {
        routing.readmit(waiter);
    }

    /**
     * Containers left from an earlier run are settled: every revision with a share of the traffic gets its pool,
     * its minimum and its spare.
     */
    private void reconciled() {
        reconciled = true;
        for (RegisteredService service : services.all()) {
            for (Revision revision : service.revisions()) {
                if (Serving.of(service, revision.name()) == Serving.TRAFFIC) {
                    pools.getOrCreate(service.name(), revision.name());
                }
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
