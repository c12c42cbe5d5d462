package cloud.cless.core.instance;

import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.service.ContainerTemplate;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ServiceDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The state machine of one service's instances and of the requests waiting for them. A request finds a ready
 * instance with room without the lock ({@link #tryLease}); everything else (nothing ready has room, joining a
 * start, queueing, starting, every change of an instance's state) is decided under the pool's lock, and what must
 * happen is recorded in {@link Effects} for the {@link EffectRunner} to carry out once the lock is released: no
 * promise is completed and no engine call is made while it is held.
 *
 * <p>An instance is {@code STARTING} until its start ends ({@link #ready} or {@link #startFailed}), {@code READY}
 * while it takes leases, {@code PAUSING} from the moment an idle one is chosen until the engine says whether the
 * pause happened ({@link #paused}), then {@code PAUSED}, {@code RESUMING} while its unpause is in flight,
 * {@code DRAINING} while its last requests finish after its definition changed, {@code STOPPING} once retired. An
 * unpause is asked for only from {@code PAUSED}: a request that comes while a pause is under way waits for its end.
 */
final class ServicePool {
    private final String key;
    private final LongSupplier clock;
    private final Supplier<String> newInstanceId;
    private final PoolInstances instances = new PoolInstances();
    private final Admission admission;
    private volatile ResolvedService spec;
    private boolean closed;
    private boolean deleted;
    private final StartBackoff backoff = new StartBackoff();

    ServicePool(ResolvedService spec, LongSupplier clock, Supplier<String> newInstanceId, int queueCapacity) {
        this.key = spec.name();
        this.spec = spec;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.admission = new Admission(instances, queueCapacity, clock, this::newInstance);
    }

    String key() {
        return key;
    }

    ResolvedService spec() {
        return spec;
    }

    // ---- requests ----

    /**
     * Without the lock: a lease on the least loaded ready instance with room, counted in its epoch; null when the
     * lock must decide (nothing ready has room, requests are queued and go first, or {@code current} is not the
     * definition the pool runs).
     */
    InFlight tryLease(ServiceDefinition current) {
        ResolvedService running = spec;
        return running.definition() != current || admission.hasQueued() ? null
                : admission.leaseReady(running.scaling());
    }

    /** Without the lock: whether requests wait in the queue; a release then hands its room on under the lock. */
    boolean hasQueued() {
        return admission.hasQueued();
    }

    /** Finds, joins or starts an instance for {@code waiter} running {@code current}, or queues it, or fails it. */
    synchronized void acquire(Waiter waiter, ResolvedService current, Effects fx) {
        if (closed || deleted) {
            fx.fail(waiter, closed ? shuttingDown() : deleted());
            return;
        }
        if (current.definition() != spec.definition()) {
            define(current, fx);
        }
        admission.admit(waiter, spec, fx);
    }

    /** Serves queued requests while there is room, oldest first. */
    synchronized void dispatch(Effects fx) {
        if (!closed) {
            admission.dispatch(spec, fx);
        }
    }

    /** The client of {@code waiter} left: its place goes at once; a start it waited for goes on without it. */
    synchronized void abandoned(Waiter waiter, Effects fx) {
        if (admission.abandon(waiter)) {
            fx.abandoned++;
        }
    }

    /** The queue wait of {@code waiter} is over; true when it was still queued (it fails then). */
    synchronized boolean queueTimedOut(Waiter waiter) {
        return admission.timedOut(waiter);
    }

    /** The last lease on a closed epoch ended: the instance is drained. */
    synchronized void drained(Instance instance, InFlight epoch, Effects fx) {
        if (instance.epoch == epoch && instance.state == InstanceState.DRAINING) {
            remove(instance, true, closed ? "shutting down" : "drained", fx);
        }
    }

    // ---- definitions and shutdown ----

    /** The service's definition now; instances of another container template drain. */
    synchronized void define(ResolvedService next, Effects fx) {
        ResolvedService previous = spec;
        spec = next;
        if (!previous.container().equals(next.container())) {
            for (Instance instance : instances.all()) {
                if (!instance.template.equals(next.container())) {
                    instances.drain(instance, "definition changed", fx);
                }
            }
        }
        instances.publish(next.container());
        dispatch(fx); // max_instances may have grown
    }

    /** The service was deleted: queued requests fail, every instance drains and goes. */
    synchronized void delete(Effects fx) {
        deleted = true;
        admission.clear().forEach(waiter -> fx.fail(waiter, deleted()));
        instances.all().forEach(instance -> instances.drain(instance, "service deleted", fx));
        instances.publish(spec.container());
    }

    /** cless shuts down: waiting requests fail, every instance drains. */
    synchronized void close(Effects fx) {
        closed = true;
        AcquireFailure failure = shuttingDown();
        admission.clear().forEach(waiter -> fx.fail(waiter, failure));
        for (Instance instance : instances.all()) {
            instance.waiters.forEach(waiter -> fx.fail(waiter, failure));
            instance.waiters.clear();
            instances.drain(instance, "shutting down", fx);
        }
        instances.publish(spec.container());
    }

    /** After {@link #close} and the drain time: retires every instance not coming up (those go once up). */
    synchronized void removeAll(Effects fx) {
        for (Instance instance : instances.all()) {
            if (!instance.comingUp()) {
                instances.closeEpoch(instance, fx);
                remove(instance, true, "shutting down", fx);
            }
        }
    }

    // ---- what became of instances ----

    /** {@code instance} came up (started, resumed, adopted, or its pause failed): it takes its waiters' leases. */
    synchronized void ready(Instance instance, Effects fx) {
        if (!instances.contains(instance) || !instance.comingUp()) {
            return;
        }
        long now = clock.getAsLong();
        if (instance.state == InstanceState.STARTING) {
            backoff.succeeded();
            instance.coldStartMillis = now - instance.startedAtMillis;
        }
        instances.open(instance, now, fx);
        if (closed || instance.drainRequested) {
            instance.drainRequested = false; // the drain asked for while it came up happens now
            instances.drain(instance, closed ? "shutting down" : "drained", fx);
        }
        instances.publish(spec.container());
        dispatch(fx);
    }

    /** The start of {@code instance} failed: its waiters get {@code failure}, its container goes. */
    synchronized void startFailed(Instance instance, AcquireFailure failure, Effects fx) {
        backoff.failed(clock.getAsLong());
        instance.waiters.forEach(waiter -> fx.fail(waiter, failure));
        instance.waiters.clear();
        remove(instance, false, "start failed", fx);
        dispatch(fx);
    }

    /** Unpausing failed: the instance goes, and its waiters queue first for another one (a cold start). */
    synchronized void resumeFailed(Instance instance, Effects fx) {
        replace(instance, "unpause failed", fx);
    }

    /** The engine's pause of {@code instance} ended; {@code paused} says whether it happened. */
    synchronized void paused(Instance instance, boolean paused, Effects fx) {
        if (!instances.contains(instance) || instance.state != InstanceState.PAUSING) {
            return;
        }
        if (!paused) {
            ready(instance, fx); // it kept running: it serves as before
        } else if (instance.drainRequested) {
            remove(instance, false, closed ? "shutting down" : "drained", fx);
            dispatch(fx);
        } else if (!instance.waiters.isEmpty()) {
            instance.state = InstanceState.RESUMING; // requests came during the pause: now the unpause may go
            fx.resumes.add(instance);
        } else {
            instance.state = InstanceState.PAUSED;
        }
    }

    /** A connection to {@code instance} was refused: it is likely gone, so it is replaced rather than retried. */
    synchronized void suspect(Instance instance, Effects fx) {
        if (instances.contains(instance) && !instance.comingUp()) {
            replace(instance, "connection refused", fx);
        }
    }

    /**
     * The container {@code containerId} died or was removed behind cless's back. An instance starting or resuming
     * in it is only marked (its start fails); any other is removed. Returns the instance, or null when none runs in
     * it.
     */
    synchronized Instance containerGone(String containerId, Effects fx) {
        Instance instance = instances.byContainer(containerId);
        if (instance != null && (instance.state == InstanceState.STARTING
                || instance.state == InstanceState.RESUMING)) {
            instance.exited = true;
        } else if (instance != null) {
            replace(instance, "container exited", fx);
        }
        return instance;
    }

    /**
     * Removes the instances that were up before {@code listedAtMillis} but whose containers were not up then (per
     * {@code up}): they died while no event reached cless, e.g. while the engine restarted.
     */
    synchronized List<Instance> dropVanished(Predicate<String> up, long listedAtMillis, Effects fx) {
        List<Instance> vanished = new ArrayList<>();
        for (Instance instance : instances.all()) {
            if (!instance.comingUp() && instance.containerId != null && instance.readyAtMillis >= 0
                    && instance.readyAtMillis < listedAtMillis && !up.test(instance.containerId)) {
                replace(instance, "container no longer running", fx);
                vanished.add(instance);
            }
        }
        return vanished;
    }

    /** Tracks a container left from an earlier run; null when the service is full or going. */
    synchronized Instance adopt(ManagedContainer container) {
        ResolvedService current = spec;
        if (closed || deleted || instances.serving(current.container()).size() >= current.scaling().maxInstances()) {
            return null;
        }
        return instances.adopt(container, current.container(), clock.getAsLong());
    }

    /**
     * Carries out the {@link ScalingPolicy}: stops (or pauses) instances idle for the idle timeout while more than
     * {@code min_instances} are awake, and, when {@code mayStart}, starts instances up to {@code min_instances}.
     */
    synchronized void maintain(boolean mayStart, Effects fx) {
        if (closed || deleted) {
            return;
        }
        dispatch(fx);
        ContainerTemplate current = spec.container();
        List<Instance> serving = instances.serving(current);
        List<ScalingPolicy.Load> loads = new ArrayList<>(serving.size());
        serving.forEach(i -> loads.add(new ScalingPolicy.Load(i.state, Math.max(0, i.load()), i.lastActivityMillis)));
        ScalingPolicy.Decision decision = ScalingPolicy.decide(clock.getAsLong(), spec.scaling(), loads, mayStart,
                backoff.notBeforeMillis());
        for (Instance idle : instances.claimIdle(decision, serving, loads, fx)) {
            remove(idle, true, "idle", fx);
        }
        instances.publish(current);
        for (int i = 0; i < decision.start(); i++) {
            fx.starts.add(newInstance());
        }
    }

    // ---- reading ----

    /** Reads the instances under the lock: counts for the gauges, snapshots for the admin API. */
    synchronized <T> T read(Function<PoolInstances, T> reader) {
        return reader.apply(instances);
    }

    /** What the pool has now (see {@link PoolInstances#activity}); null when it has no instance. */
    synchronized PoolActivity activity() {
        return instances.activity(admission.queued());
    }

    // ---- under the lock ----

    private Instance newInstance() {
        return instances.start(newInstanceId.get(), key, spec.container(), clock.getAsLong());
    }

    /** Retires {@code instance} at once (it is broken or gone) and lets whoever waited go elsewhere. */
    private void replace(Instance instance, String reason, Effects fx) {
        instances.closeEpoch(instance, fx);
        remove(instance, false, reason, fx);
        dispatch(fx);
    }

    /** Retires {@code instance}; requests still waiting for it queue first for another (or fail, when going). */
    private void remove(Instance instance, boolean graceful, String reason, Effects fx) {
        List<Waiter> waiting = instances.remove(instance, graceful, reason, fx);
        if (closed || deleted) {
            waiting.forEach(waiter -> fx.fail(waiter, closed ? shuttingDown() : deleted()));
        } else {
            admission.requeue(waiting, fx);
        }
        instances.publish(spec.container());
    }

    private AcquireFailure shuttingDown() {
        return new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service " + key + ": cless is shutting down");
    }

    private AcquireFailure deleted() {
        return new AcquireFailure(AcquireFailure.Reason.NOT_FOUND, "service " + key + " was deleted");
    }
}
