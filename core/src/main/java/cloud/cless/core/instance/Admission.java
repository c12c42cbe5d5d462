package cloud.cless.core.instance;

import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ScalingSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where the requests of one revision's pool go: a ready instance with room (found without a lock), else an
 * instance coming up with room for another waiting request, else a paused one to resume, else a new start below
 * {@code max_instances}, else the bounded wait queue; and, once the pool takes no more requests, elsewhere. Guarded
 * by the {@link ServicePool}'s lock, except {@link #leaseReady} and {@link #hasQueued}.
 */
final class Admission {
    /** How often a lock-free lease that lost the race for the last room looks again before the lock decides. */
    private static final int LEASE_ATTEMPTS = 4;

    /** Whether the pool takes requests. */
    enum Status {
        OPEN,
        /** Its revision serves no more: requests go back to be placed by the service's traffic now. */
        RETIRED,
        /** cless shuts down: requests fail. */
        CLOSED
    }

    private final String service;
    private final PoolInstances instances;
    private final WaitQueue queue;
    private final LongSupplier clock;
    private final Supplier<Instance> newInstance;
    private Status status = Status.OPEN;

    Admission(String service, PoolInstances instances, int queueCapacity, LongSupplier clock,
              Supplier<Instance> newInstance) {
        this.service = service;
        this.instances = instances;
        this.queue = new WaitQueue(queueCapacity);
        this.clock = clock;
        this.newInstance = newInstance;
    }

    Status status() {
        return status;
    }

    boolean isOpen() {
        return status == Status.OPEN;
    }

    /**
     * The pool takes no more requests ({@code next} is RETIRED or CLOSED): every waiting request goes elsewhere or
     * fails, by {@link #rehome}.
     */
    void stop(Status next, Effects fx) {
        status = next;
        List<Waiter> waiting = new ArrayList<>();
        for (Instance instance : instances.all()) {
            waiting.addAll(instance.waiters);
            instance.waiters.clear();
        }
        waiting.addAll(queue.clear());
        waiting.forEach(Waiter::cancelQueueTimeout);
        rehome(waiting, fx);
    }

    /**
     * Requests whose instance went before they got it: queued first for another while the pool is open, placed
     * again by the traffic once it is retired, failed once cless shuts down.
     */
    void rehome(List<Waiter> waiting, Effects fx) {
        switch (status) {
            case OPEN -> queue.putBack(waiting, fx);
            case RETIRED -> waiting.forEach(fx::redirect);
            case CLOSED -> waiting.forEach(waiter -> fx.fail(waiter, shuttingDown(service)));
        }
    }

    static AcquireFailure shuttingDown(String service) {
        return new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service " + service + ": cless is shutting down");
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
                    + " (revision " + spec.revision() + "): all " + spec.scaling().maxInstances()
                    + " instance(s) busy and the wait queue is full (" + queue.capacity() + ")"));
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

    private boolean assign(Waiter waiter, ResolvedService spec, Effects fx) {
        ScalingSettings scaling = spec.scaling();
        InFlight epoch = leaseReady(scaling);
        if (epoch != null) {
            fx.grant(waiter, epoch, -1);
            return true;
        }
        Instance target = Placement.comingUpWithRoom(instances.comingUp(), i -> i.waiters.size(), scaling);
        if (target == null) {
            target = instances.paused();
            if (target != null) {
                target.state = InstanceState.RESUMING; // resumed like a start: later requests join its waiters
                fx.resumes.add(target);
            }
        }
        if (target == null && instances.serving().size() < scaling.maxInstances()) {
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
