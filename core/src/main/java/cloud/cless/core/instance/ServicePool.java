package cloud.cless.core.instance;

import cloud.cless.core.metrics.RevisionMeters;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.service.ResolvedService;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The state machine of one revision's instances and of the requests waiting for them. A request finds a ready
 * instance with room without the lock ({@link #tryLease}); everything else (nothing ready has room, joining a
 * start, queueing, starting, every change of an instance's state) is decided under the pool's lock, and what must
 * happen is recorded in {@link Effects} for the {@link EffectRunner} to carry out once the lock is released: no
 * promise is completed and no engine call is made while it is held.
 *
 * <p>An instance is {@code STARTING} until its start ends ({@link #ready} or {@link #startFailed}), {@code READY}
 * while it takes leases, {@code PAUSING} from the moment an idle one is chosen until the engine says whether the
 * pause happened ({@link #paused}), then {@code PAUSED}, {@code RESUMING} while its unpause is in flight,
 * {@code DRAINING} while its last requests finish after its revision stopped serving, {@code STOPPING} once
 * retired. An unpause is asked for only from {@code PAUSED}: a request that comes while a pause is under way waits
 * for its end.
 *
 * <p>Its role ({@link Serving}) changes in place with the service's traffic, its scaling with the definition. Once
 * the revision serves no more the pool is retired for good: waiting requests go back to be placed by the traffic
 * now, its instances drain.
 */
final class ServicePool {
    private final String service;
    private final String key;
    private final RevisionMeters meters;
    private final LongSupplier clock;
    private final Supplier<String> newInstanceId;
    private final PoolInstances instances;
    private final Admission admission;
    private final InstanceEvents events;
    private volatile ResolvedService spec;
    private volatile Serving serving;

    /**
     * @param spec    the revision's definition, scaled as its service says
     * @param serving its role (not NONE: a revision that serves nothing gets no pool), which scales it further
     */
    ServicePool(ResolvedService spec, Serving serving, RevisionMeters meters, LongSupplier clock,
                Supplier<String> newInstanceId, int queueCapacity) {
        this.service = spec.name();
        this.key = spec.revision();
        this.spec = serving.applyTo(spec);
        this.serving = serving;
        this.meters = meters;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.instances = new PoolInstances(service, key, spec.container());
        this.admission = new Admission(service, instances, queueCapacity, clock, this::newInstance);
        this.events = new InstanceEvents(instances, admission, clock, this::spec);
    }

    /** The revision, which names the pool. */
    String key() {
        return key;
    }

    String service() {
        return service;
    }

    ResolvedService spec() {
        return spec;
    }

    RevisionMeters meters() {
        return meters;
    }

    /** Whether a spare should be kept for it: it has a share of the traffic, and takes requests. */
    synchronized boolean wantsSpare() {
        return serving == Serving.TRAFFIC && admission.isOpen();
    }

    // ---- requests ----

    /**
     * Without the lock: a lease on the least loaded ready instance with room, counted in its epoch; null when the
     * lock must decide (nothing ready has room, or requests are queued and go first).
     */
    InFlight tryLease() {
        return admission.hasQueued() ? null : admission.leaseReady(spec.scaling());
    }

    /** Without the lock: whether requests wait in the queue; a release then hands its room on under the lock. */
    boolean hasQueued() {
        return admission.hasQueued();
    }

    /**
     * Finds, joins or starts an instance for {@code waiter}, or queues it, or fails it; once the pool is retired,
     * hands it back to be placed elsewhere. A client that left while it was on its way here gives its place up.
     */
    synchronized void acquire(Waiter waiter, Effects fx) {
        if (waiter.promise.isDone()) {
            return;
        }
        switch (admission.status()) {
            case CLOSED -> fx.fail(waiter, Admission.shuttingDown(service));
            case RETIRED -> fx.redirect(waiter);
            case OPEN -> {
                waiter.pool = this;
                admission.admit(waiter, spec, fx);
                if (waiter.promise.isCancelled()) {
                    abandoned(waiter, fx); // its listener may have looked for it in the pool it came from
                }
            }
        }
    }

    /** Serves queued requests while there is room, oldest first. */
    synchronized void dispatch(Effects fx) {
        events.dispatch(fx);
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

    // ---- the revision's role, retirement and shutdown ----

    /**
     * The service's definition or traffic changed: the revision serves in {@code role} (not NONE: the pool is
     * retired then), with the scaling of {@code next}, the same revision (its container never changes).
     */
    synchronized void define(ResolvedService next, Serving role, Effects fx) {
        spec = role.applyTo(next);
        serving = role;
        events.dispatch(fx); // max_instances may have grown
    }

    /**
     * The revision serves nothing any more, or it or its service is gone: waiting requests go back to be placed by
     * the traffic now, every instance drains (those coming up once they are up) and goes. For good.
     */
    synchronized void retire(String reason, Effects fx) {
        if (admission.isOpen()) {
            admission.stop(Admission.Status.RETIRED, fx);
            instances.all().forEach(instance -> instances.drain(instance, reason, fx));
            instances.publish();
        }
    }

    /** cless shuts down: waiting requests fail, every instance drains. */
    synchronized void close(Effects fx) {
        admission.stop(Admission.Status.CLOSED, fx);
        instances.all().forEach(instance -> instances.drain(instance, "shutting down", fx));
        instances.publish();
    }

    /** After {@link #close} and the drain time: retires every instance not coming up (those go once up). */
    synchronized void removeAll(Effects fx) {
        for (Instance instance : instances.all()) {
            if (!instance.comingUp()) {
                instances.closeEpoch(instance, fx);
                events.remove(instance, true, "shutting down", fx);
            }
        }
    }

    // ---- what became of instances: see InstanceEvents ----

    synchronized void ready(Instance instance, Effects fx) {
        events.ready(instance, fx);
    }

    synchronized void startFailed(Instance instance, AcquireFailure failure, Effects fx) {
        events.startFailed(instance, failure, fx);
    }

    /** Unpausing failed: the instance goes, and its waiters queue first for another one (a cold start). */
    synchronized void resumeFailed(Instance instance, Effects fx) {
        events.replace(instance, "unpause failed", fx);
    }

    synchronized void paused(Instance instance, boolean paused, Effects fx) {
        events.paused(instance, paused, fx);
    }

    synchronized void drained(Instance instance, InFlight epoch, Effects fx) {
        events.drained(instance, epoch, fx);
    }

    synchronized void suspect(Instance instance, Effects fx) {
        events.suspect(instance, fx);
    }

    synchronized Instance containerGone(String containerId, Effects fx) {
        return events.containerGone(containerId, fx);
    }

    synchronized Instance leaving(String instanceId, Effects fx) {
        return events.leaving(instanceId, fx);
    }

    synchronized Instance gone(String instanceId, Effects fx) {
        return events.gone(instanceId, fx);
    }

    synchronized List<Instance> dropVanished(Predicate<String> up, long listedAtMillis, Effects fx) {
        return events.dropVanished(up, listedAtMillis, fx);
    }

    // ---- reconcile and scaling ----

    /** Tracks a container of this revision left from an earlier run; null when the pool is full or going. */
    synchronized Instance adopt(ManagedContainer container) {
        if (!admission.isOpen() || instances.serving().size() >= spec.scaling().maxInstances()) {
            return null;
        }
        return instances.adopt(container, clock.getAsLong());
    }

    /**
     * Tracks an instance of this revision the engine runs at {@code address} that this pool did not start; null when
     * the pool is full, going, or has it already. It comes up once a probe finds it answering.
     */
    synchronized Instance adoptAt(String id, InetSocketAddress address, String containerId) {
        if (!admission.isOpen() || instances.byId(id) != null
                || instances.serving().size() >= spec.scaling().maxInstances()) {
            return null;
        }
        return instances.adoptAt(id, address, containerId, clock.getAsLong());
    }

    /**
     * Carries out the {@link ScalingPolicy}: stops (or pauses) instances idle for the idle timeout while more than
     * {@code min_instances} are awake, and, when {@code mayStart}, starts instances up to {@code min_instances}.
     */
    synchronized void maintain(boolean mayStart, Effects fx) {
        if (!admission.isOpen()) {
            return;
        }
        events.dispatch(fx);
        List<Instance> serving = instances.serving();
        List<ScalingPolicy.Load> loads = PoolInstances.loads(serving);
        ScalingPolicy.Decision decision = ScalingPolicy.decide(clock.getAsLong(), spec.scaling(), loads, mayStart,
                events.startsFromMillis());
        for (Instance idle : instances.claimIdle(decision, serving, loads, fx)) {
            events.reap(idle, fx);
        }
        instances.publish();
        for (int i = 0; i < decision.start(); i++) {
            fx.starts.add(newInstance());
        }
    }

    /** Reads the instances under the lock: counts for the gauges, snapshots for the admin API. */
    synchronized <T> T read(Function<PoolInstances, T> reader) {
        return reader.apply(instances);
    }

    /** What the pool has now (see {@link PoolInstances#activity}); null when it has no instance. */
    synchronized PoolActivity activity() {
        return instances.activity(admission.queued());
    }

    private Instance newInstance() {
        return instances.start(newInstanceId.get(), clock.getAsLong());
    }
}
