package cloud.cless.core.instance;

import cloud.cless.core.service.ContainerTemplate;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ScalingSettings;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where one pool's requests go: a ready instance with room (found without a lock), else an instance coming up with
 * room for another waiting request, else a paused one to resume, else a new start below {@code max_instances},
 * else the bounded wait queue. Guarded by the {@link ServicePool}'s lock, except {@link #leaseReady} and
 * {@link #hasQueued}.
 */
final class Admission {
    /** How often a lock-free lease that lost the race for the last room looks again before the lock decides. */
    private static final int LEASE_ATTEMPTS = 4;

    private final PoolInstances instances;
    private final WaitQueue queue;
    private final LongSupplier clock;
    private final Supplier<Instance> newInstance;

    Admission(PoolInstances instances, int queueCapacity, LongSupplier clock, Supplier<Instance> newInstance) {
        this.instances = instances;
        this.queue = new WaitQueue(queueCapacity);
        this.clock = clock;
        this.newInstance = newInstance;
    }

    /** A lease on the least loaded ready instance with room, counted in its epoch; null when none has room. */
    InFlight leaseReady(ScalingSettings scaling) {
        for (int attempt = 0; attempt < LEASE_ATTEMPTS; attempt++) {
            Instance best = Placement.leastLoaded(instances.ready(), Instance::load, scaling);
            InFlight epoch = best == null ? null : best.epoch;
            if (epoch == null) {
                return null;
            }
            if (epoch.tryAcquire(scaling.concurrency())) {
                best.lastActivityMillis = clock.getAsLong();
                return epoch;
            }
        }
        return null;
    }

    /** Whether requests wait in the queue (they go before newcomers, and a release hands its room to them). */
    boolean hasQueued() {
        return !queue.isEmpty();
    }

    /** Requests in the wait queue now. */
    int queued() {
        return queue.size();
    }

    /** Places {@code waiter}, or queues it, or fails it when the queue is full. */
    void admit(Waiter waiter, ResolvedService spec, Effects fx) {
        if (queue.isEmpty() && assign(waiter, spec, fx)) {
            return;
        }
        if (!queue.offer(waiter)) {
            fx.queueFull(waiter, new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service " + spec.name()
                    + ": all " + spec.scaling().maxInstances() + " instance(s) busy and the wait queue is full ("
                    + queue.capacity() + ")"));
            return;
        }
        waiter.queuedAtNanos = System.nanoTime();
        fx.queued.add(waiter);
        // A release that raced with this enqueue saw an empty queue and kept quiet about its room: look again.
        dispatch(spec, fx);
    }

    /** Places queued requests while there is room, oldest first. */
    void dispatch(ResolvedService spec, Effects fx) {
        while (!queue.isEmpty()) {
            Waiter head = queue.peek();
            if (head.promise.isDone()) {
                queue.pop();
            } else if (assign(head, spec, fx)) {
                queue.pop();
                if (!fx.queued.remove(head)) {
                    head.cancelQueueTimeout();
                }
            } else {
                return;
            }
        }
    }

    /** Takes {@code waiter} out of the queue and off any instance coming up; true when it was waiting. */
    boolean abandon(Waiter waiter) {
        boolean left = queue.remove(waiter);
        for (Instance instance : instances.all()) {
            left |= instance.waiters.remove(waiter);
        }
        return left;
    }

    /** True when {@code waiter} was still queued: its wait is over, it fails. */
    boolean timedOut(Waiter waiter) {
        return queue.remove(waiter);
    }

    /** Puts requests that waited for an instance that went back at the front of the queue. */
    void requeue(List<Waiter> waiting, Effects fx) {
        queue.putBack(waiting, fx);
    }

    /** Empties the queue; returns who waited. */
    List<Waiter> clear() {
        return queue.clear();
    }

    private boolean assign(Waiter waiter, ResolvedService spec, Effects fx) {
        ScalingSettings scaling = spec.scaling();
        InFlight epoch = leaseReady(scaling);
        if (epoch != null) {
            fx.grant(waiter, epoch, -1);
            return true;
        }
        ContainerTemplate current = spec.container();
        Instance target = Placement.comingUpWithRoom(instances.comingUp(current), i -> i.waiters.size(), scaling);
        if (target == null) {
            target = instances.paused(current);
            if (target != null) {
                target.state = InstanceState.RESUMING; // resumed like a start: later requests join its waiters
                fx.resumes.add(target);
            }
        }
        if (target == null && instances.serving(current).size() < scaling.maxInstances()) {
            target = newInstance.get();
            fx.starts.add(target);
        }
        if (target == null) {
            return false;
        }
        waiter.joinedAtNanos = System.nanoTime();
        target.waiters.add(waiter);
        return true;
    }
}
