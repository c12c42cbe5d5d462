package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.metrics.ServiceMeters;
import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceListener;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the containers of services: one cold start per service for any number of waiting connections, readiness
 * probes, scale-out up to {@code max_instances} with a bounded wait queue, idle reaping, draining on definition
 * changes, adoption of containers left from an earlier run, and removal of everything on shutdown.
 *
 * <p>Cold-start work is moved off the critical path: each container service keeps one spare container created
 * but not started (see {@link ServicePool}), made once containers left from an earlier run are reconciled, at
 * registration, and again whenever one is used or an instance goes. A cold start starts the spare; only when there
 * is none (or creating it failed) does it create a container itself. With {@code idle_action: pause} idle instances
 * are paused and the next connection unpauses one, without a readiness probe: its app was listening when it was
 * frozen, and connections made meanwhile wait in its socket's backlog.
 *
 * <p>Per-service state lives in {@link ServicePool}s whose short locked sections only decide; engine calls and
 * promise completions happen outside the locks.
 */
public final class ContainerInstanceManager implements InstanceManager, ServiceListener {
    private static final Logger log = LoggerFactory.getLogger(ContainerInstanceManager.class);
    static final int DEFAULT_STARTUP_TIMEOUT_SECONDS = 30;
    private static final Duration SHUTDOWN_POLL = Duration.ofMillis(50);
    private static final String PAUSED = "paused";
    /** Checks of an engine that is down (or of one whose event stream ended) back off from 1 s to 30 s. */
    static final long ENGINE_RETRY_FIRST_MILLIS = 1_000;
    static final long ENGINE_RETRY_MAX_MILLIS = 30_000;

    private final ContainerRuntime runtime;
    private final HostPorts ports;
    private final ReadinessProbe probe;
    private final EventLoopGroup group;
    private final Executor blocking;
    private final String installationId;
    private final Supplier<List<ServiceDefinition>> services;
    private final Clock clock;
    private final InstanceManagerConfig config;
    private final ClessMetrics metrics;
    private final UpstreamLeases upstreams = new UpstreamLeases();
    private final Map<String, ServicePool> pools = new ConcurrentHashMap<>();
    private volatile boolean shuttingDown;
    private volatile ScheduledFuture<?> maintenance;
    /** Containers left from an earlier run were adopted or removed; only then are min_instances started. */
    private volatile boolean reconciled;
    /** Set while the engine is known to be unreachable: cold starts fail at once instead of waiting on it. */
    private volatile RuntimeFailure engineDown;
    private final AtomicBoolean engineCheckScheduled = new AtomicBoolean();
    private volatile long engineRetryMillis = ENGINE_RETRY_FIRST_MILLIS;
    private volatile ScheduledFuture<?> engineCheck;
    /** Containers (id -> name) whose removal failed while the engine was unreachable: removed once it is back. */
    private final Map<String, String> unremoved = new ConcurrentHashMap<>();
    /** The engine's event stream for this installation, while it is open. */
    private CompletableFuture<Void> watching; // guarded by this, as are changes of engineDown

    /**
     * @param runtime        the container engine
     * @param ports          host ports for published containers
     * @param blocking       runs port allocation, whose free-port checks are syscalls kept off the event loops
     * @param probe          readiness probe, made for the channel type of {@code group}
     * @param group          event loops the probes and periodic maintenance run on
     * @param installationId this installation's id, put on and looked for in container labels
     * @param services       the registered services now (e.g. {@code registry::list})
     * @param clock          time for activity and idle accounting
     * @param config         settings that are not per service
     * @param metrics        where cold starts, queue waits and instances by state are recorded
     */
    public ContainerInstanceManager(ContainerRuntime runtime, HostPorts ports, Executor blocking,
                                    ReadinessProbe probe, EventLoopGroup group, String installationId,
                                    Supplier<List<ServiceDefinition>> services, Clock clock,
                                    InstanceManagerConfig config, ClessMetrics metrics) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.ports = Objects.requireNonNull(ports, "ports");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.group = Objects.requireNonNull(group, "group");
        this.installationId = Objects.requireNonNull(installationId, "installationId");
        this.services = Objects.requireNonNull(services, "services");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.config = Objects.requireNonNull(config, "config");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    // ---- InstanceManager ----

    @Override
    public Future<InstanceLease> acquire(ServiceDefinition service, EventLoop loop) {
        if (service.isUpstream()) {
            try {
                return loop.newSucceededFuture(upstreams.lease(service));
            } catch (IllegalArgumentException e) {
                return loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                        "service " + service.name() + ": " + e.getMessage(), e));
            }
        }
        Waiter waiter = new Waiter(loop);
        if (shuttingDown) {
            waiter.promise.setFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + service.name() + ": cless is shutting down"));
            return waiter.promise;
        }
        ServicePool pool = pool(service);
        Effects fx = new Effects();
        pool.acquire(service, waiter, fx);
        apply(pool, fx);
        return waiter.promise;
    }

    @Override
    public List<InstanceInfo> instances(String serviceName) {
        ServicePool pool = pools.get(serviceName);
        return pool == null ? List.of() : pool.snapshot();
    }

    /**
     * Reconciles, starts {@code min_instances} and begins watching the engine's events. When the engine cannot be
     * reached, this still completes: the failure is logged once, reconcile is retried in the background with
     * backoff, and cold starts fail with {@link AcquireFailure.Reason#UNAVAILABLE} until the engine is back.
     */
    @Override
    public CompletableFuture<Void> start() {
        long every = config.reapInterval().toMillis();
        maintenance = group.next().scheduleWithFixedDelay(this::maintainAll, every, every, TimeUnit.MILLISECONDS);
        return checkEngine();
    }

    @Override
    public CompletableFuture<Void> shutdown(Duration drain) {
        shuttingDown = true;
        ScheduledFuture<?> periodic = maintenance;
        if (periodic != null) {
            periodic.cancel(false);
        }
        ScheduledFuture<?> check = engineCheck;
        if (check != null) {
            check.cancel(false);
        }
        synchronized (this) {
            if (watching != null) {
                watching.cancel(false);
            }
        }
        List<CompletableFuture<Void>> sparesGone = new ArrayList<>();
        for (ServicePool pool : pools.values()) {
            Effects fx = new Effects();
            pool.close(fx);
            fx.spareDiscards.forEach(spare -> sparesGone.add(spare.gone));
            apply(pool, fx);
            for (Instance starting : pool.starting()) {
                Future<Void> inFlight = starting.probe;
                if (inFlight != null) {
                    inFlight.cancel(false);
                }
            }
        }
        return drained(System.nanoTime() + drain.toNanos()).thenCompose(v -> {
            List<CompletableFuture<Void>> gone = new ArrayList<>(sparesGone);
            for (ServicePool pool : pools.values()) {
                Effects fx = new Effects();
                for (Instance instance : pool.removeAll(fx)) {
                    gone.add(instance.gone);
                }
                apply(pool, fx);
            }
            for (Map.Entry<String, String> left : unremoved.entrySet()) {
                gone.add(runtime.remove(left.getKey()).handle((r, err) -> {
                    if (err != null) {
                        log.warn("Could not remove container {}: {}", left.getValue(), unwrap(err).getMessage());
                    }
                    return null;
                }));
            }
            return CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new));
        }).thenRun(() -> log.info("All managed containers stopped and removed"));
    }

    // ---- ServiceListener (called on the blocking executor) ----

    @Override
    public void serviceCreated(ServiceDefinition definition) {
        if (definition.isUpstream()) {
            return;
        }
        ServicePool pool = pool(definition);
        metrics.trackInstances(definition.name(), pool::count); // again, when created anew after a delete
        Effects fx = new Effects();
        pool.define(definition, fx);
        apply(pool, fx);
        maintain(pool);
    }

    @Override
    public void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
        ServicePool pool = pools.get(current.name());
        if (pool == null) {
            serviceCreated(current);
            return;
        }
        Effects fx = new Effects();
        if (previous.sameContainerAs(current)) {
            pool.define(current, fx);
        } else {
            log.info("Service {} changed its container: its instances drain", current.name());
            pool.drainOutdated(current, fx);
        }
        apply(pool, fx);
        maintain(pool);
    }

    @Override
    public void serviceDeleted(ServiceDefinition definition) {
        metrics.serviceRemoved(definition.name());
        ServicePool pool = pools.get(definition.name());
        if (pool != null) {
            Effects fx = new Effects();
            pool.drainOutdated(null, fx);
            apply(pool, fx);
        }
    }

    // ---- the engine: reconcile, events, outages ----

    /**
     * Lists this installation's containers: the first time to reconcile them, afterwards to drop instances whose
     * containers vanished unnoticed; then watches events. Completes (never exceptionally) once done or once the
     * engine was found unusable, in which case the next check is scheduled.
     */
    private CompletableFuture<Void> checkEngine() {
        long listedAt = clock.millis();
        return runtime.listManaged(installationId)
                .thenCompose(found -> {
                    engineUp();
                    removeUnremoved();
                    return reconciled ? dropVanished(found, listedAt) : reconcile(found).thenRun(this::reconciled);
                })
                .handle((v, err) -> {
                    if (err == null) {
                        watchEvents();
                    } else {
                        engineFailed(unwrap(err));
                    }
                    return null;
                });
    }

    private void reconciled() {
        reconciled = true;
        for (ServiceDefinition def : services.get()) {
            if (!def.isUpstream()) {
                maintain(pool(def));
            }
        }
    }

    private void engineUp() {
        engineRetryMillis = ENGINE_RETRY_FIRST_MILLIS;
        boolean wasDown;
        synchronized (this) {
            wasDown = engineDown != null;
            engineDown = null;
        }
        if (wasDown) {
            log.info("Docker engine reachable again");
        }
    }

    /** Logs an outage once, makes cold starts fail fast while it lasts, and schedules the next check. */
    private void engineFailed(Throwable cause) {
        if (shuttingDown) {
            return;
        }
        if (cause instanceof RuntimeFailure failure && failure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
            boolean newOutage;
            synchronized (this) {
                newOutage = engineDown == null;
                engineDown = failure;
            }
            if (newOutage) {
                log.warn("{}; cold starts fail with 503 until it is back, checking again in the background",
                        failure.getMessage());
            }
        } else {
            log.warn("Listing the managed containers failed, trying again: {}", cause.getMessage());
        }
        scheduleEngineCheck();
    }

    private void scheduleEngineCheck() {
        if (shuttingDown || !engineCheckScheduled.compareAndSet(false, true)) {
            return;
        }
        long delay = engineRetryMillis;
        engineRetryMillis = Math.min(delay * 2, ENGINE_RETRY_MAX_MILLIS);
        try {
            engineCheck = group.next().schedule(() -> {
                engineCheckScheduled.set(false);
                if (!shuttingDown) {
                    checkEngine();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopsGone) {
            engineCheckScheduled.set(false);
        }
    }

    /** Opens the event stream unless it is open; when it ends (engine restarted, or idle), the engine is checked. */
    private synchronized void watchEvents() {
        if (shuttingDown || watching != null && !watching.isDone()) {
            return;
        }
        CompletableFuture<Void> stream = runtime.watch(installationId, this::containerEvent);
        watching = stream;
        stream.whenComplete((v, err) -> {
            if (shuttingDown || stream.isCancelled()) {
                return;
            }
            log.debug("Docker event stream ended ({}); checking the engine",
                    err == null ? "closed" : unwrap(err).getMessage());
            scheduleEngineCheck();
        });
    }

    /** Called on the runtime's event thread. */
    private void containerEvent(ContainerEvent event) {
        if (shuttingDown) {
            return;
        }
        if (event.kind() == ContainerEvent.Kind.OOM) {
            // The die that follows, if the main process was the victim, removes the instance.
            log.warn("Container {} of service {} hit its memory limit", shortId(event.containerId()), event.service());
            return;
        }
        ServicePool owner = event.service() == null ? null : pools.get(event.service());
        for (ServicePool pool : owner != null ? List.of(owner) : List.copyOf(pools.values())) {
            Effects fx = new Effects();
            Instance instance = pool.containerGone(event.containerId(), fx);
            if (instance == null) {
                continue;
            }
            if (instance.exited) {
                // Its start fails now, and that failure is logged with the image.
                Future<Void> probing = instance.probe;
                if (probing != null) {
                    probing.cancel(false);
                }
            } else {
                log.warn("Container {} of instance {} of service {} {} while cless runs; removing it",
                        shortId(event.containerId()), instance.id, pool.name(),
                        event.kind() == ContainerEvent.Kind.DESTROYED ? "was removed" : "exited");
            }
            apply(pool, fx);
            return;
        }
    }

    /** Removes the containers whose removal failed during an outage; a failure now leaves them for the next check. */
    private void removeUnremoved() {
        for (Map.Entry<String, String> left : unremoved.entrySet()) {
            String containerId = left.getKey();
            runtime.remove(containerId).whenComplete((v, err) -> {
                if (err == null) {
                    unremoved.remove(containerId);
                    log.info("Removed container {} ({}), which the unreachable engine had kept", left.getValue(),
                            shortId(containerId));
                } else {
                    log.debug("Container {} still cannot be removed: {}", left.getValue(), unwrap(err).getMessage());
                }
            });
        }
    }

    private CompletableFuture<Void> dropVanished(List<ManagedContainer> found, long listedAtMillis) {
        Set<String> running = found.stream().filter(c -> c.isRunning() || PAUSED.equals(c.state()))
                .map(ManagedContainer::id).collect(Collectors.toSet());
        Set<String> exists = found.stream().map(ManagedContainer::id).collect(Collectors.toSet());
        for (ServicePool pool : pools.values()) {
            Effects fx = new Effects();
            for (Instance gone : pool.dropVanished(running::contains, exists::contains, listedAtMillis, fx)) {
                log.warn("Container {} of instance {} of service {} stopped running unnoticed; removing it",
                        shortId(gone.containerId), gone.id, gone.service());
            }
            apply(pool, fx);
        }
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> reconcile(List<ManagedContainer> found) {
        Map<String, ServiceDefinition> known = services.get().stream()
                .collect(Collectors.toMap(ServiceDefinition::name, d -> d, (a, b) -> b));
        List<CompletableFuture<?>> work = new ArrayList<>();
        for (ManagedContainer container : found) {
            ServiceDefinition def = known.get(container.service());
            String unfit = unfitForAdoption(container, def);
            boolean paused = PAUSED.equals(container.state());
            Instance adopted = unfit == null ? pool(def).adopt(def, container, paused) : null;
            if (adopted == null) {
                String reason = unfit == null ? "more than max_instances" : unfit;
                log.info("Removing container {} ({}) left from an earlier run: {}", container.name(),
                        shortId(container.id()), reason);
                work.add(runtime.remove(container.id()).exceptionally(e -> {
                    log.warn("Could not remove container {}: {}", container.name(), unwrap(e).getMessage());
                    return null;
                }));
                continue;
            }
            work.add(paused ? adoptPaused(pool(def), adopted) : adopt(pool(def), adopted));
        }
        return CompletableFuture.allOf(work.toArray(CompletableFuture[]::new));
    }

    private static String unfitForAdoption(ManagedContainer container, ServiceDefinition def) {
        if (def == null) {
            return "service '" + container.service() + "' is not registered";
        }
        if (def.isUpstream()) {
            return "service is now an upstream";
        }
        if (!container.isRunning() && !PAUSED.equals(container.state())) {
            // Also a spare ("created") of an earlier run: which definition made it is unknown, a new one is made.
            return "container is " + container.state();
        }
        if (container.hostPort() <= 0 || container.instanceId() == null || container.instanceId().isBlank()) {
            return "labels incomplete";
        }
        return null;
    }

    /** A paused container stays paused, its port reserved, until a connection resumes it. */
    private CompletableFuture<Void> adoptPaused(ServicePool pool, Instance instance) {
        try {
            ports.markUsed(instance.hostPort);
        } catch (RuntimeException e) {
            int port = instance.hostPort;
            instance.hostPort = -1;
            Effects fx = new Effects();
            pool.resumeFailed(instance, fx); // removes it; it has no waiters yet
            apply(pool, fx);
            log.warn("Removing paused container {} of service {}: host port {} cannot be reserved: {}",
                    instance.containerName(), instance.service(), port, e.getMessage());
            return instance.gone;
        }
        log.info("Adopted paused container {} ({}) of service {} on port {}", instance.containerName(),
                shortId(instance.containerId), instance.service(), instance.hostPort);
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> adopt(ServicePool pool, Instance instance) {
        try {
            ports.markUsed(instance.hostPort);
        } catch (RuntimeException e) {
            int port = instance.hostPort;
            instance.hostPort = -1;
            fail(pool, instance, new AcquireFailure(AcquireFailure.Reason.START_FAILED, "service "
                    + instance.service() + ": host port " + port + " of container " + instance.containerName()
                    + " cannot be reserved: " + e.getMessage(), e));
            return instance.gone;
        }
        CompletableFuture<Void> settled = new CompletableFuture<>();
        long began = System.nanoTime();
        awaitReady(instance).whenComplete((v, err) -> {
            if (err == null) {
                log.info("Adopted container {} ({}) of service {} on port {}", instance.containerName(),
                        shortId(instance.containerId), instance.service(), instance.hostPort);
                ready(pool, instance, began, false);
            } else {
                fail(pool, instance, failure(instance, err));
            }
            settled.complete(null);
        });
        return settled;
    }

    // ---- cold start ----

    private void coldStart(ServicePool pool, Instance instance) {
        ServiceDefinition def = instance.definition;
        long began = System.nanoTime();
        CompletableFuture<Void> started;
        RuntimeFailure down = engineDown;
        if (down != null) {
            // Known down: fail now (503) rather than let every connection wait on the engine.
            AcquireFailure failure = failure(instance, down);
            if (instance.spare != null) {
                discardSpare(instance.spare); // claimed, but this start never takes it over
            }
            coldStartFailed(instance, failure);
            fail(pool, instance, failure);
            return;
        }
        CompletableFuture<String> container = instance.spare == null ? createFor(instance) : fromSpare(instance);
        started = container
                .thenCompose(containerId -> runtime.start(containerId))
                .thenCompose(v -> awaitReady(instance));
        started.whenComplete((v, err) -> {
            if (err == null) {
                ready(pool, instance, began, true);
            } else {
                AcquireFailure failure = failure(instance, err);
                log.warn("Cold start of service {} (instance {}, image {}) failed: {}", def.name(), instance.id,
                        def.imageReference(), failure.getMessage());
                if (unwrap(err) instanceof RuntimeFailure runtimeFailure
                        && runtimeFailure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
                    engineFailed(runtimeFailure); // before the waiters hear of it: their retries fail fast
                }
                coldStartFailed(instance, failure);
                fail(pool, instance, failure);
            }
        });
    }

    /** Allocates a port and creates the container: the cold start's own path when there is no spare. */
    private CompletableFuture<String> createFor(Instance instance) {
        // acquire() runs on an event loop: the port search (bind checks) goes to the blocking executor.
        return CompletableFuture.runAsync(() -> instance.hostPort = ports.allocate(), blocking)
                .thenCompose(v -> runtime.create(spec(instance.definition, instance.id, instance.hostPort)))
                .thenApply(containerId -> {
                    instance.containerId = containerId;
                    return containerId;
                });
    }

    /**
     * The claimed spare's container (waiting for its creation if that is still in flight); the instance owns its
     * container and port from here. When creating the spare failed, the cold start creates one itself.
     */
    private CompletableFuture<String> fromSpare(Instance instance) {
        Spare spare = instance.spare;
        return spare.created.handle((containerId, err) -> {
            if (err != null) {
                log.debug("Spare {} of service {} was not created, creating a container instead: {}",
                        spare.containerName(), spare.service(), unwrap(err).getMessage());
                return createFor(instance);
            }
            instance.hostPort = spare.hostPort;
            instance.containerId = containerId;
            return CompletableFuture.completedFuture(containerId);
        }).thenCompose(f -> f);
    }

    private ContainerSpec spec(ServiceDefinition def, String instanceId, int hostPort) {
        int containerPort = def.port() == null ? 8080 : def.port();
        Map<String, String> env = new LinkedHashMap<>(def.env());
        env.put("PORT", Integer.toString(containerPort));
        Map<String, String> labels = Map.of(
                ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, def.name(),
                ContainerLabels.INSTANCE, instanceId,
                ContainerLabels.HOST_PORT, Integer.toString(hostPort),
                ContainerLabels.INSTALLATION, installationId);
        return new ContainerSpec("cless-" + def.name() + "-" + instanceId, def.imageReference(), containerPort,
                hostPort, env, labels, def.memoryMb(), def.cpus());
    }

    // ---- spares ----

    /** Creates {@code spare}'s container in the background; a failure is logged once and not retried in a loop. */
    private void createSpare(ServicePool pool, Spare spare) {
        ServiceDefinition def = spare.definition;
        CompletableFuture.runAsync(() -> spare.hostPort = ports.allocate(), blocking)
                .thenCompose(v -> runtime.create(spec(def, spare.id, spare.hostPort)))
                .whenComplete((containerId, err) -> {
                    if (err == null) {
                        spare.containerId = containerId;
                        spare.createdAtMillis = clock.millis();
                        log.debug("Created spare container {} ({}) of service {} on port {}", spare.containerName(),
                                shortId(containerId), def.name(), spare.hostPort);
                        spare.created.complete(containerId);
                        return;
                    }
                    Throwable cause = unwrap(err);
                    if (spare.hostPort > 0) {
                        ports.release(spare.hostPort);
                    }
                    boolean engineUnavailable = cause instanceof RuntimeFailure failure
                            && failure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE;
                    if (pool.spareFailed(spare, engineUnavailable) && !engineUnavailable) {
                        log.warn("Could not create a spare container of service {} (image {}); cold starts create "
                                + "their own until one succeeds: {}", def.name(), def.imageReference(),
                                cause.getMessage());
                    }
                    if (engineUnavailable) {
                        engineFailed(cause);
                    }
                    spare.created.completeExceptionally(cause);
                    spare.gone.complete(null);
                });
    }

    /** Removes a spare no longer wanted once its creation is over, then gives its port back. */
    private void discardSpare(Spare spare) {
        spare.created.whenComplete((containerId, err) -> {
            if (err != null) {
                return; // nothing was created, the port is back already, and gone is complete
            }
            runtime.remove(containerId).whenComplete((v, removeErr) -> {
                if (removeErr != null) {
                    Throwable cause = unwrap(removeErr);
                    if (cause instanceof RuntimeFailure failure
                            && failure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
                        unremoved.put(containerId, spare.containerName());
                    }
                    log.warn("Could not remove spare container {} of service {}: {}", spare.containerName(),
                            spare.service(), cause.getMessage());
                }
                ports.release(spare.hostPort);
                spare.gone.complete(null);
            });
        });
    }

    // ---- pause ----

    private void pause(Instance instance) {
        String containerId = instance.containerId;
        log.info("Pausing idle instance {} of service {} (container {})", instance.id, instance.service(),
                shortId(containerId));
        instance.pausing = runtime.pause(containerId).whenComplete((v, err) -> {
            if (err != null) {
                log.warn("Could not pause container {} of service {}; it keeps running: {}",
                        instance.containerName(), instance.service(), unwrap(err).getMessage());
            }
        });
    }

    /** Unpauses a paused instance for its waiters; when that fails it is removed and they get a cold start. */
    private void resume(ServicePool pool, Instance instance) {
        long began = System.nanoTime();
        CompletableFuture<Void> pausing = instance.pausing;
        CompletableFuture<Void> paused = pausing == null ? CompletableFuture.completedFuture(null) : pausing;
        // A pause that failed left the container running: nothing to unpause then.
        paused.handle((v, err) -> err == null ? runtime.unpause(instance.containerId)
                        : CompletableFuture.<Void>completedFuture(null))
                .thenCompose(f -> f)
                .whenComplete((v, err) -> {
                    if (err == null) {
                        log.info("Resumed paused instance {} of service {} (container {}) in {} ms", instance.id,
                                instance.service(), shortId(instance.containerId),
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
                        ready(pool, instance, began, false);
                        return;
                    }
                    log.warn("Could not unpause container {} of service {}; removing it and starting another: {}",
                            instance.containerName(), instance.service(), unwrap(err).getMessage());
                    Effects fx = new Effects();
                    pool.resumeFailed(instance, fx);
                    apply(pool, fx);
                });
    }

    private CompletableFuture<Void> awaitReady(Instance instance) {
        if (shuttingDown) {
            return CompletableFuture.failedFuture(new CancellationException("shutting down"));
        }
        Future<Void> probing = probe.probe(group.next(), instance.address(), instance.definition.readinessPath(),
                Duration.ofSeconds(startupTimeoutSeconds(instance.definition)));
        instance.probe = probing;
        if (instance.exited) {
            probing.cancel(false); // died before the probe began: the event found no probe to cancel
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        probing.addListener(f -> {
            instance.probe = null;
            if (f.isSuccess()) {
                ready.complete(null);
            } else {
                ready.completeExceptionally(f.cause());
            }
        });
        return ready;
    }

    private void ready(ServicePool pool, Instance instance, long beganNanos, boolean coldStart) {
        Effects fx = new Effects();
        pool.ready(instance, fx);
        if (coldStart) {
            metrics.service(instance.service()).coldStarted(System.nanoTime() - beganNanos);
            log.info("Cold start of service {}: instance {}, container {} ready in {} ms", instance.service(),
                    instance.id, shortId(instance.containerId),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - beganNanos));
        }
        apply(pool, fx);
    }

    private void coldStartFailed(Instance instance, AcquireFailure failure) {
        metrics.service(instance.service()).coldStartFailed(failure.reason().name().toLowerCase(Locale.ROOT));
    }

    private void fail(ServicePool pool, Instance instance, AcquireFailure failure) {
        Effects fx = new Effects();
        pool.startFailed(instance, failure, fx);
        apply(pool, fx);
    }

    /** Maps whatever ended a start to what the waiting connections are told. */
    private AcquireFailure failure(Instance instance, Throwable error) {
        Throwable cause = unwrap(error);
        ServiceDefinition def = instance.definition;
        String service = "service " + def.name() + ": ";
        if (cause instanceof AcquireFailure acquireFailure) {
            return acquireFailure;
        }
        if (cause instanceof RuntimeFailure runtimeFailure) {
            if (runtimeFailure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
                return new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                        service + "container engine unavailable: " + cause.getMessage(), cause);
            }
            return new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                    service + "could not start image " + def.imageReference() + ": " + cause.getMessage(), cause);
        }
        if (cause instanceof TimeoutException) {
            return new AcquireFailure(AcquireFailure.Reason.STARTUP_TIMEOUT, service + "container "
                    + instance.containerName() + " not ready within " + startupTimeoutSeconds(def) + " s", cause);
        }
        if (instance.exited) {
            return new AcquireFailure(AcquireFailure.Reason.START_FAILED, service + "container "
                    + instance.containerName() + " of image " + def.imageReference() + " exited while starting",
                    cause);
        }
        if (cause instanceof CancellationException) {
            return new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, service + "cless is shutting down", cause);
        }
        if (instance.hostPort < 0) {
            return new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    service + "no free host port: " + cause.getMessage(), cause);
        }
        return new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                service + "could not start image " + def.imageReference() + ": " + cause, cause);
    }

    // ---- leases ----

    /** A connection's hold on one container instance. */
    private final class ContainerLease implements InstanceLease {
        private final ServicePool pool;
        private final Instance instance;
        private final AtomicBoolean released = new AtomicBoolean();

        ContainerLease(ServicePool pool, Instance instance) {
            this.pool = pool;
            this.instance = instance;
        }

        @Override
        public InetSocketAddress address() {
            return instance.address();
        }

        @Override
        public String instanceId() {
            return instance.id;
        }

        @Override
        public void touch() {
            instance.lastActivityMillis = clock.millis();
        }

        /** Also releases the lease: a connection that failed to connect holds nothing. */
        @Override
        public void connectFailed(Throwable cause) {
            log.warn("Instance {} of service {} (container {}) refused a connection, replacing it: {}",
                    instance.id, instance.service(), shortId(instance.containerId), cause.toString());
            Effects fx = new Effects();
            pool.suspect(instance, fx);
            apply(pool, fx);
            release();
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                Effects fx = new Effects();
                pool.released(instance, fx);
                apply(pool, fx);
            }
        }
    }

    // ---- carrying out what the pools decided ----

    private void apply(ServicePool pool, Effects fx) {
        for (Effects.Failure failure : fx.failures) {
            failure.waiter().cancelQueueTimeout();
            failure.waiter().promise.tryFailure(failure.failure());
        }
        for (Effects.Grant grant : fx.grants) {
            grant.waiter().cancelQueueTimeout();
            long queuedAt = grant.waiter().queuedAtNanos;
            if (queuedAt != 0) {
                metrics.service(pool.name()).queueWaited(System.nanoTime() - queuedAt);
            }
            ContainerLease lease = new ContainerLease(pool, grant.instance());
            if (!grant.waiter().promise.trySuccess(lease)) {
                lease.release(); // the connection went away while it waited
            }
        }
        if (fx.queueFull > 0 || !fx.queued.isEmpty()) {
            queueMetrics(pool, fx);
        }
        for (Waiter waiter : fx.queued) {
            waiter.queueTimeout = waiter.loop.schedule(() -> queueTimedOut(pool, waiter),
                    config.queueTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        for (Effects.Retire retire : fx.retires) {
            retire(retire.instance(), retire.graceful(), retire.reason());
        }
        for (Instance instance : fx.starts) {
            coldStart(pool, instance);
        }
        for (Instance instance : fx.pauses) {
            pause(instance);
        }
        for (Instance instance : fx.resumes) {
            resume(pool, instance);
        }
        for (Spare spare : fx.spareDiscards) {
            discardSpare(spare);
        }
        for (Spare spare : fx.spareCreates) {
            createSpare(pool, spare);
        }
        if (fx.spareWanted && mayCreate()) {
            Effects more = new Effects();
            pool.replenish(true, more);
            apply(pool, more);
        }
    }

    /** Containers are created (started, spares) only once reconciled, while the engine is up and cless runs. */
    private boolean mayCreate() {
        return reconciled && engineDown == null && !shuttingDown;
    }

    private void queueMetrics(ServicePool pool, Effects fx) {
        ServiceMeters meters = metrics.service(pool.name());
        for (int i = 0; i < fx.queued.size(); i++) {
            meters.queued();
        }
        for (int i = 0; i < fx.queueFull; i++) {
            meters.queueRejected("full");
        }
    }

    private void queueTimedOut(ServicePool pool, Waiter waiter) {
        if (pool.queueTimedOut(waiter)) {
            metrics.service(pool.name()).queueRejected("timeout");
            waiter.promise.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + pool.name() + ": no instance free within "
                            + config.queueTimeout().toMillis() + " ms"));
        }
    }

    /** Stops (when graceful) and removes the container, then gives its port back. Idempotent. */
    private void retire(Instance instance, boolean graceful, String reason) {
        if (!instance.startRetiring()) {
            return;
        }
        String containerId = instance.containerId;
        CompletableFuture<Void> removed;
        if (containerId == null) {
            removed = CompletableFuture.completedFuture(null);
        } else {
            log.info("Removing instance {} of service {} (container {}): {}", instance.id, instance.service(),
                    shortId(containerId), reason);
            CompletableFuture<Void> stopped = graceful
                    ? runtime.stop(containerId, config.stopGraceSeconds()).exceptionally(e -> null)
                    : CompletableFuture.completedFuture(null);
            removed = stopped.thenCompose(v -> runtime.remove(containerId));
        }
        removed.whenComplete((v, err) -> {
            Throwable cause = err == null ? null : unwrap(err);
            if (cause instanceof RuntimeFailure failure && failure.kind() == RuntimeFailure.Kind.ENGINE_UNAVAILABLE) {
                // The container may well still run: remove it once the engine answers again, not never.
                unremoved.put(containerId, instance.containerName());
                log.warn("Could not remove container {} of service {} now; removing it once the engine is back: {}",
                        instance.containerName(), instance.service(), cause.getMessage());
                engineFailed(failure);
            } else if (cause != null) {
                log.warn("Could not remove container {} of service {}: {}", instance.containerName(),
                        instance.service(), cause.getMessage());
            }
            int port = instance.hostPort;
            if (port > 0) {
                ports.release(port);
            }
            instance.gone.complete(null);
        });
    }

    // ---- maintenance ----

    private void maintainAll() {
        for (ServicePool pool : pools.values()) {
            try {
                maintain(pool);
            } catch (RuntimeException e) {
                log.warn("Instance maintenance failed", e);
            }
        }
    }

    private void maintain(ServicePool pool) {
        if (shuttingDown) {
            return;
        }
        Effects fx = new Effects();
        pool.maintain(fx, mayCreate());
        apply(pool, fx);
    }

    private CompletableFuture<Void> drained(long deadlineNanos) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        checkDrained(done, deadlineNanos);
        return done;
    }

    private void checkDrained(CompletableFuture<Void> done, long deadlineNanos) {
        int open = pools.values().stream().mapToInt(ServicePool::openConnections).sum();
        if (open == 0) {
            done.complete(null);
            return;
        }
        if (System.nanoTime() >= deadlineNanos) {
            log.info("Drain time over with {} connection(s) still open", open);
            done.complete(null);
            return;
        }
        try {
            group.next().schedule(() -> checkDrained(done, deadlineNanos), SHUTDOWN_POLL.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopsGone) {
            done.complete(null);
        }
    }

    // ---- helpers ----

    private ServicePool pool(ServiceDefinition def) {
        ServicePool pool = pools.get(def.name());
        return pool != null ? pool : pools.computeIfAbsent(def.name(), name -> {
            ServicePool created = new ServicePool(def, clock::millis, ContainerInstanceManager::newInstanceId,
                    config.maxQueuedPerService());
            metrics.trackInstances(name, created::count);
            return created;
        });
    }

    private static String newInstanceId() {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static int startupTimeoutSeconds(ServiceDefinition def) {
        Integer seconds = def.startupTimeoutSeconds();
        return seconds == null ? DEFAULT_STARTUP_TIMEOUT_SECONDS : seconds;
    }

    private static String shortId(String containerId) {
        return containerId == null ? "-" : containerId.substring(0, Math.min(12, containerId.length()));
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
