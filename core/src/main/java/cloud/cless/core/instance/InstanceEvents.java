package cloud.cless.core.instance;

import cloud.cless.core.service.ResolvedService;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What becomes of one instance of a pool when its engine calls end or its container goes: it comes up and takes
 * its waiters' leases, fails its start, pauses or stays awake, drains, or is replaced. Guarded by the
 * {@link ServicePool}'s lock, which calls it; what must happen outside is recorded in {@link Effects}.
 */
final class InstanceEvents {
    private final PoolInstances instances;
    private final Admission admission;
    private final LongSupplier clock;
    private final Supplier<ResolvedService> spec;
    private final StartBackoff backoff = new StartBackoff();

    /** @param spec the pool's definition now */
    InstanceEvents(PoolInstances instances, Admission admission, LongSupplier clock, Supplier<ResolvedService> spec) {
        this.instances = instances;
        this.admission = admission;
        this.clock = clock;
        this.spec = spec;
    }

    /** No top-up start before this time: a start that failed recently backs off. */
    long startsFromMillis() {
        return backoff.notBeforeMillis();
    }

    /** Serves queued requests while there is room, oldest first, while the pool takes requests. */
    void dispatch(Effects fx) {
        if (admission.isOpen()) {
            admission.dispatch(spec.get(), fx);
        }
    }

    /** {@code instance} came up (started, resumed, adopted, or its pause failed): it takes its waiters' leases. */
    void ready(Instance instance, Effects fx) {
        if (!instances.contains(instance) || !instance.comingUp()) {
            return;
        }
        long now = clock.getAsLong();
        if (instance.state == InstanceState.STARTING) {
            backoff.succeeded();
            instance.coldStartMillis = now - instance.startedAtMillis;
        }
        instances.open(instance, now, fx);
        boolean closed = admission.status() == Admission.Status.CLOSED;
        if (closed || instance.drainRequested) {
            instance.drainRequested = false; // the drain asked for while it came up happens now
            instances.drain(instance, closed ? "shutting down" : "drained", fx);
        }
        instances.publish();
        dispatch(fx);
    }

    /** The start of {@code instance} failed: its waiters get {@code failure}, its container goes. */
    void startFailed(Instance instance, AcquireFailure failure, Effects fx) {
        backoff.failed(clock.getAsLong());
        instance.waiters.forEach(waiter -> fx.fail(waiter, failure));
        instance.waiters.clear();
        remove(instance, false, "start failed", fx);
        dispatch(fx);
    }

    /** The engine's pause of {@code instance} ended; {@code paused} says whether it happened. */
    void paused(Instance instance, boolean paused, Effects fx) {
        if (!instances.contains(instance) || instance.state != InstanceState.PAUSING) {
            return;
        }
        if (!paused) {
            ready(instance, fx); // it kept running: it serves as before
        } else if (instance.drainRequested) {
            boolean closed = admission.status() == Admission.Status.CLOSED;
            remove(instance, false, closed ? "shutting down" : "drained", fx);
            dispatch(fx);
        } else if (!instance.waiters.isEmpty()) {
            instance.state = InstanceState.RESUMING; // requests came during the pause: now the unpause may go
            fx.resumes.add(instance);
        } else {
            instance.state = InstanceState.PAUSED;
        }
    }

    /** The last lease on a closed epoch ended: a draining instance is drained. */
    void drained(Instance instance, InFlight epoch, Effects fx) {
        if (instance.epoch == epoch && instance.state == InstanceState.DRAINING) {
            boolean closed = admission.status() == Admission.Status.CLOSED;
            remove(instance, true, closed ? "shutting down" : "drained", fx);
        }
    }

    /** A connection to {@code instance} was refused: it is likely gone, so it is replaced rather than retried. */
    void suspect(Instance instance, Effects fx) {
        if (instances.contains(instance) && !instance.comingUp()) {
            replace(instance, "connection refused", fx);
        }
    }

    /**
     * The container {@code containerId} died or was removed behind cless's back. An instance starting or resuming
     * in it is only marked (its start fails); any other is replaced. Returns the instance, or null.
     */
    Instance containerGone(String containerId, Effects fx) {
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
     * The engine is taking instance {@code id} down by itself (a scale-down picked it): no new leases, its requests
     * finish, then it goes. Returns it, or null when no instance has that id.
     */
    Instance leaving(String id, Effects fx) {
        Instance instance = instances.byId(id);
        if (instance != null) {
            instances.drain(instance, "the engine takes it down", fx);
            instances.publish();
        }
        return instance;
    }

    /**
     * Instance {@code id} ended behind cless's back. One coming up is only marked (its start fails); any other is
     * replaced. Returns it, or null.
     */
    Instance gone(String id, Effects fx) {
        Instance instance = instances.byId(id);
        if (instance != null && (instance.state == InstanceState.STARTING
                || instance.state == InstanceState.RESUMING)) {
            instance.exited = true;
        } else if (instance != null) {
            replace(instance, "it ended", fx);
        }
        return instance;
    }

    /**
     * Replaces the instances up before {@code listedAtMillis} whose containers were not up then (per {@code up}):
     * they died while no event reached cless, e.g. while the engine restarted. Returns them.
     */
    List<Instance> dropVanished(Predicate<String> up, long listedAtMillis, Effects fx) {
        List<Instance> vanished = instances.vanished(up, listedAtMillis);
        vanished.forEach(instance -> replace(instance, "container no longer running", fx));
        return vanished;
    }

    /** Retires {@code instance} at once (it is broken or gone) and lets whoever waited go elsewhere. */
    void replace(Instance instance, String reason, Effects fx) {
        instances.closeEpoch(instance, fx);
        remove(instance, false, reason, fx);
        dispatch(fx);
    }

    /** Lets the idle {@code instance} go (a scale-down); requests still waiting for it are rehomed. */
    void reap(Instance instance, Effects fx) {
        admission.rehome(instances.remove(instance, true, "idle", true, fx), fx);
        instances.publish();
    }

    /** Retires {@code instance} (a stop first when {@code graceful}); requests still waiting for it are rehomed. */
    void remove(Instance instance, boolean graceful, String reason, Effects fx) {
        admission.rehome(instances.remove(instance, graceful, reason, fx), fx);
        instances.publish();
    }
}
