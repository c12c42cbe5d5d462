package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.swarm.SwarmApi;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
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

/**
 * The instances of the registered services, as the proxy asks for them: a lease per request on an instance of the
 * revision that serves it (on a ready container with room, found without a lock; else through that revision's
 * {@link ServicePool}: a cold start, a resume, the wait queue), or on an upstream revision's fixed address. Each
 * revision has a pool of its own. It wires the lifecycle's parts (lease routing, the pools, service changes,
 * shutdown) to the {@link InstanceDriver} of the engine (containers on a Docker engine, or tasks of a Docker Swarm)
 * and runs their periodic maintenance.
 */
public final class InstanceLifecycle implements InstanceManager, ServiceListener {
    private final ServiceDirectory services;
    private final EventLoopGroup group;
    private final InstanceManagerConfig config;
    private final Pools pools;
    private final UpstreamInstances upstreams;
    private final InstanceDriver driver;
    private final LeaseRouting routing;
    private final EffectRunner runner;
    private final ServiceChanges changes;
    private final Shutdown shutdown;
    private final StartGate gate;
    private volatile boolean shuttingDown;
    private volatile boolean reconciled;
    private volatile ScheduledFuture<?> maintenance;

    /**
     * The lifecycle on a container engine.
     *
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
        this(control, group, services, clock, config, metrics, gate, (pools, self) -> new ContainerDriver(runtime,
                ports, control, probe, group, installationId, clock, InstanceLifecycle::newInstanceId, config, pools,
                services, self::mayCreate, gate));
    }

    /**
     * The lifecycle on a Docker Swarm: a revision is a Swarm service, its instances are the service's tasks.
     *
     * @param swarm          the swarm's manager
     * @param settings       how the tasks are polled, how long a revision that stops serving drains, and whether
     *                       this cless lowers the replicas of idle revisions itself (alone) or a leader does
     * @param control        runs upstream name lookups, off the event loops
     * @param installationId the id of this cless, or of the cluster of replicas sharing the swarm: the label of its
     *                       Swarm services
     * @param gate           consulted before every start (see the container runtime's constructor)
     */
    public static InstanceLifecycle onSwarm(SwarmApi swarm, SwarmSettings settings, Executor control,
                                            ReadinessProbe probe, EventLoopGroup group, String installationId,
                                            ServiceDirectory services, Clock clock, InstanceManagerConfig config,
                                            ClessMetrics metrics, StartGate gate) {
        return new InstanceLifecycle(control, group, services, clock, config, metrics, gate, (pools, self) ->
                new SwarmDriver(swarm, settings, probe, group, installationId, pools, services,
                        config.stopGraceSeconds(), gate));
    }

    /** Makes the engine's driver once the pools exist. */
    private interface Drivers {
        InstanceDriver make(Pools pools, InstanceLifecycle self);
    }

    private InstanceLifecycle(Executor control, EventLoopGroup group, ServiceDirectory services, Clock clock,
                              InstanceManagerConfig config, ClessMetrics metrics, StartGate gate, Drivers drivers) {
        this.services = services;
        this.gate = gate;
        this.group = group;
        this.config = config;
        this.pools = new Pools(metrics, services, clock, InstanceLifecycle::newInstanceId,
                config.maxQueuedPerService(), this::fitToEngine);
        this.upstreams = new UpstreamInstances(control);
        this.driver = drivers.make(pools, this);
        this.runner = new EffectRunner(clock, config.queueTimeout(), driver, this::readmit);
        this.routing = new LeaseRouting(services, pools, upstreams, runner, () -> shuttingDown);
        this.changes = new ServiceChanges(services, pools, driver, upstreams, runner, metrics, this::maintain);
        this.shutdown = new Shutdown(pools, driver, runner, group);
        metrics.trackEngine(driver::isUp, driver::unremoved);
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
        return driver.watch(runner, this::reconciled);
    }

    @Override
    public CompletableFuture<Void> shutdown(Duration drain) {
        shuttingDown = true;
        ScheduledFuture<?> periodic = maintenance;
        if (periodic != null) {
            periodic.cancel(false);
        }
        driver.close();
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

    /** The container engine's watch, for tests that check it again at once instead of waiting for its backoff. */
    EngineWatch engine() {
        return ((ContainerDriver) driver).engine();
    }

    private void maintain(ServicePool pool) {
        if (shuttingDown) {
            return;
        }
        boolean mayCreate = mayCreate();
        runner.decide(pool, fx -> pool.maintain(mayCreate, fx));
        driver.maintained(pool);
    }

    /** What the pools run a revision's settings as on this engine. */
    private ResolvedService fitToEngine(ResolvedService spec) {
        return driver.fit(spec);
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
     * Instances are made (top-ups, spares) only once reconciled, while the engine is up, the start gate open and
     * cless runs.
     */
    private boolean mayCreate() {
        return reconciled && driver.isUp() && !shuttingDown && gate.refusal() == null;
    }

    private static String newInstanceId() {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
