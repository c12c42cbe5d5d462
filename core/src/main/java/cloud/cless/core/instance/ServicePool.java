package cloud.cless.core.instance;

import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The instances of one service and the connections waiting for them. Every method decides under the pool's lock
 * and records what must happen in {@link Effects}; the caller carries that out after the lock is released, so no
 * promise is completed and no engine call is made while the lock is held.
 *
 * <p>Besides its instances, a pool keeps one spare: a container created but not started, which the next cold start
 * starts instead of creating one. A spare whose creation failed for a reason other than an unreachable engine is
 * not retried until a start succeeds or the definition is written again, so a missing image is not re-pulled in a
 * loop. With {@code idle_action: pause} idle instances are paused instead of removed and stay paused until a
 * connection resumes them (a paused container holds memory but no CPU), or until the service changes or cless
 * shuts down.
 */
final class ServicePool {
    static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;
    /** After a failed start, {@code min_instances} are topped up again after this, doubling up to the max. */
    static final long TOP_UP_BACKOFF_FIRST_MILLIS = 1_000;
    static final long TOP_UP_BACKOFF_MAX_MILLIS = 30_000;

    private final String name;
    private final LongSupplier clock;
    private final Supplier<String> newInstanceId;
    private final int maxQueued;
    private final List<Instance> instances = new ArrayList<>();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private ServiceDefinition definition;
    /** The service was deleted: nothing is kept running for it until it is defined again. */
    private boolean deleted;
    private boolean closed;
    private long topUpBackoffMillis;
    private long topUpNotBefore;
    /** The container created ahead of need, or the one being created; null when there is none. */
    private Spare spare;
    /** Creating a spare failed: none is tried again until a start succeeds or the definition changes. */
    private boolean spareFailed;

    ServicePool(ServiceDefinition definition, LongSupplier clock, Supplier<String> newInstanceId, int maxQueued) {
        this.name = definition.name();
        this.definition = definition;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.maxQueued = maxQueued;
    }

    String name() {
        return name;
    }

    /** Finds or starts an instance for {@code waiter}, or queues it, or fails it. */
    synchronized void acquire(ServiceDefinition requested, Waiter waiter, Effects fx) {
        if (closed) {
            fx.fail(waiter, new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + name + ": cless is shutting down"));
            return;
        }
        if (deleted) {
            deleted = false;
            definition = requested;
        }
        dispatch(fx); // drops waiters that gave up, so a newcomer does not queue behind them
        if (queue.isEmpty() && assign(requested, waiter, fx)) {
            return;
        }
        if (queue.size() >= maxQueued) {
            fx.queueFull(waiter, new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service " + name + ": all "
                    + maxInstances(requested) + " instance(s) busy and the wait queue is full (" + maxQueued + ")"));
            return;
        }
        waiter.queuedAtNanos = System.nanoTime();
        queue.addLast(waiter);
        fx.queued(waiter);
    }

    /** The queue wait of {@code waiter} is over; fails it if it is still queued. */
    synchronized boolean queueTimedOut(Waiter waiter) {
        return queue.remove(waiter);
    }

    /** The latest definition, for scaling limits and idle timeouts. */
    synchronized void define(ServiceDefinition current, Effects fx) {
        definition = current;
        deleted = false;
        spareFailed = false;
        fx.spareWanted = true;
        dispatch(fx);
    }

    /**
     * Stops handing out instances that do not run {@code current} (all of them when it is null): they drain and
     * are removed once their connections are done.
     */
    synchronized void drainOutdated(ServiceDefinition current, Effects fx) {
        if (current != null) {
            definition = current;
        } else {
            deleted = true;
        }
        for (Instance instance : List.copyOf(instances)) {
            if (instance.state == InstanceState.STOPPING
                    || current != null && instance.definition.sameContainerAs(current)) {
                continue;
            }
            drain(instance, fx, current == null ? "service deleted" : "definition changed");
        }
        if (spare != null && (current == null || !spare.definition.sameContainerAs(current))) {
            fx.discardSpare(spare);
            spare = null;
        }
        spareFailed = false;
        fx.spareWanted = current != null;
        if (current == null) {
            for (Waiter waiter : queue) {
                fx.fail(waiter, new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                        "service " + name + " was deleted"));
            }
            queue.clear();
        } else {
            dispatch(fx);
        }
    }

    /**
     * Tracks a container found at start-up: a running one as a starting instance (it is probed), a paused one as a
     * paused instance. Null when the service is full.
     */
    synchronized Instance adopt(ServiceDefinition def, ManagedContainer container, boolean paused) {
        if (closed || live(def) >= maxInstances(def)) {
            return null;
        }
        Instance instance = new Instance(container.instanceId(), def, clock.getAsLong());
        instance.containerId = container.id();
        instance.hostPort = container.hostPort();
        if (paused) {
            instance.state = InstanceState.PAUSED;
            instance.pausing = CompletableFuture.completedFuture(null);
        }
        instances.add(instance);
        return instance;
    }

    /** The start (or adoption) of {@code instance} succeeded: hand it to its waiters and the queue. */
    synchronized void ready(Instance instance, Effects fx) {
        long now = clock.getAsLong();
        if (instance.state != InstanceState.STARTING || !instances.contains(instance)) {
            fx.retire(instance, true, "no longer wanted");
            return;
        }
        instance.readyAtMillis = now;
        topUpBackoffMillis = 0;
        topUpNotBefore = 0;
        if (spareFailed) {
            spareFailed = false; // what failed (say, a missing image) works now
            fx.spareWanted = true;
        }
        if (instance.coldStartMillis < 0) {
            instance.coldStartMillis = now - instance.startedAtMillis;
        }
        instance.lastActivityMillis = now;
        instance.state = instance.drainRequested ? InstanceState.DRAINING : InstanceState.READY;
        for (Waiter waiter : instance.waiters) {
            instance.openConnections++;
            fx.grant(instance, waiter);
        }
        instance.waiters.clear();
        if (closed || instance.drainRequested && instance.openConnections == 0) {
            remove(instance, fx, true, closed ? "shutting down" : "drained");
        }
        dispatch(fx);
    }

    /** The start of {@code instance} failed: its waiters get {@code failure}, its container goes. */
    synchronized void startFailed(Instance instance, AcquireFailure failure, Effects fx) {
        // A start that failed once likely fails again: the top-up waits instead of failing every tick.
        topUpBackoffMillis = topUpBackoffMillis == 0 ? TOP_UP_BACKOFF_FIRST_MILLIS
                : Math.min(topUpBackoffMillis * 2, TOP_UP_BACKOFF_MAX_MILLIS);
        topUpNotBefore = clock.getAsLong() + topUpBackoffMillis;
        for (Waiter waiter : instance.waiters) {
            fx.fail(waiter, failure);
        }
        instance.waiters.clear();
        remove(instance, fx, false, "start failed");
        if (!closed) {
            dispatch(fx);
        }
    }

    /**
     * Unpausing {@code instance} failed: it is removed, and its waiters go to the front of the queue and get
     * another instance (a cold start) as any connection would.
     */
    synchronized void resumeFailed(Instance instance, Effects fx) {
        List<Waiter> waiters = List.copyOf(instance.waiters);
        instance.waiters.clear();
        remove(instance, fx, false, "unpause failed");
        for (int i = waiters.size() - 1; i >= 0; i--) {
            queue.addFirst(waiters.get(i));
        }
        if (closed) {
            AcquireFailure failure = new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + name + ": cless is shutting down");
            waiters.forEach(w -> fx.fail(w, failure));
            queue.clear();
            return;
        }
        dispatch(fx);
        for (Waiter waiter : waiters) {
            if (queue.contains(waiter)) {
                waiter.queuedAtNanos = System.nanoTime();
                fx.queued(waiter);
            }
        }
    }

    /**
     * Creates a spare when there is none, none failed, and the service is defined; {@code mayCreate} is false
     * while containers may not be created (before reconcile, engine down).
     */
    synchronized void replenish(boolean mayCreate, Effects fx) {
        if (!mayCreate || spare != null || spareFailed || closed || deleted || definition.isUpstream()) {
            return;
        }
        spare = new Spare(newInstanceId.get(), definition);
        fx.createSpare(spare);
    }

    /**
     * Creating {@code failed} did not work. Unless the engine was merely unreachable (spares are made again once
     * it is back), no spare is tried until a start succeeds or the definition changes. True when it was this
     * pool's spare still, i.e. the failure is news worth logging.
     */
    synchronized boolean spareFailed(Spare failed, boolean engineUnavailable) {
        if (spare != failed) {
            return false;
        }
        spare = null;
        spareFailed = !engineUnavailable;
        return true;
    }

    /** A lease on {@code instance} ended. */
    synchronized void released(Instance instance, Effects fx) {
        instance.openConnections--;
        instance.lastActivityMillis = clock.getAsLong();
        if (instance.state == InstanceState.DRAINING && instance.openConnections <= 0 && !closed) {
            remove(instance, fx, true, "drained");
        }
        dispatch(fx);
    }

    /** A connection to {@code instance} failed: it is likely gone, so it is replaced rather than retried. */
    synchronized void suspect(Instance instance, Effects fx) {
        if (instance.state == InstanceState.STARTING || !instances.contains(instance)) {
            return;
        }
        remove(instance, fx, false, "connection refused");
        dispatch(fx);
    }

    /**
     * The container of an instance died or was removed behind cless's back. A ready or draining instance is
     * removed (its port is given back once the container is gone) and returned; one still starting is only marked
     * and returned, its start fails. Null when no instance of this pool runs in {@code containerId}.
     */
    synchronized Instance containerGone(String containerId, Effects fx) {
        if (spare != null && containerId.equals(spare.containerId)) {
            fx.discardSpare(spare); // gives its port back; removing a removed container is no error
            spare = null;
            fx.spareWanted = true;
            return null;
        }
        for (Instance instance : instances) {
            if (!containerId.equals(instance.containerId)) {
                continue;
            }
            if (instance.state == InstanceState.STARTING) {
                instance.exited = true;
            } else {
                remove(instance, fx, false, "container exited");
                dispatch(fx);
            }
            return instance;
        }
        return null;
    }

    /**
     * Removes the instances that were ready before {@code listedAtMillis} but whose containers were not running
     * (or paused) then (per {@code running}): they died while no event reached cless, e.g. while the engine
     * restarted. A spare created before then whose container was not listed at all (per {@code exists}) is
     * dropped too.
     */
    synchronized List<Instance> dropVanished(Predicate<String> running, Predicate<String> exists,
                                             long listedAtMillis, Effects fx) {
        Spare current = spare;
        if (current != null && current.createdAtMillis < listedAtMillis
                && !exists.test(current.containerId)) {
            fx.discardSpare(current);
            spare = null;
            fx.spareWanted = true;
        }
        List<Instance> vanished = new ArrayList<>();
        for (Instance instance : List.copyOf(instances)) {
            if (instance.state != InstanceState.STARTING && instance.containerId != null
                    && instance.readyAtMillis >= 0 && instance.readyAtMillis < listedAtMillis
                    && !running.test(instance.containerId)) {
                remove(instance, fx, false, "container no longer running");
                vanished.add(instance);
            }
        }
        if (!vanished.isEmpty()) {
            dispatch(fx);
        }
        return vanished;
    }

    /**
     * Removes (or, with {@code idle_action: pause}, pauses) instances idle for longer than the idle timeout,
     * keeping {@code min_instances} awake; and, when {@code mayStart}, starts instances up to {@code min_instances}
     * (unless a recent start failed) and makes sure there is a spare.
     */
    synchronized void maintain(Effects fx, boolean mayStart) {
        if (closed || deleted || definition.isUpstream()) {
            return;
        }
        dispatch(fx);
        long now = clock.getAsLong();
        long idleMillis = 1000L * valueOr(definition.idleTimeoutSeconds(), DEFAULT_IDLE_TIMEOUT_SECONDS);
        int min = valueOr(definition.minInstances(), 0);
        boolean pause = definition.idleAction() == IdleAction.PAUSE;
        int live = live(definition);
        int awake = live - count(InstanceState.PAUSED);
        List<Instance> idle = new ArrayList<>();
        for (Instance instance : instances) {
            if (instance.servesNew(definition) && instance.state == InstanceState.READY
                    && instance.openConnections == 0 && now - instance.lastActivityMillis >= idleMillis) {
                idle.add(instance);
            }
        }
        idle.sort(Comparator.comparingLong(i -> i.lastActivityMillis));
        for (Instance instance : idle) {
            if (awake <= min) {
                break;
            }
            // Under the lock, so an acquire either got it before (open > 0, not idle) or never sees it again.
            if (pause) {
                instance.state = InstanceState.PAUSED; // still counts as live: idle capacity
                fx.pause(instance);
            } else {
                remove(instance, fx, true, "idle");
                live--;
            }
            awake--;
        }
        while (mayStart && now >= topUpNotBefore && live < min && live < maxInstances(definition)) {
            Instance instance = newInstance(definition, fx);
            fx.start(instance);
            live++;
        }
        replenish(mayStart, fx);
    }

    /** Stops handing out leases: queued and starting waiters fail, every instance drains. */
    synchronized void close(Effects fx) {
        closed = true;
        if (spare != null) {
            fx.discardSpare(spare);
            spare = null;
        }
        AcquireFailure failure = new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                "service " + name + ": cless is shutting down");
        for (Waiter waiter : queue) {
            fx.fail(waiter, failure);
        }
        queue.clear();
        for (Instance instance : instances) {
            for (Waiter waiter : instance.waiters) {
                fx.fail(waiter, failure);
            }
            instance.waiters.clear();
            instance.drainRequested = true;
            if (instance.state == InstanceState.READY) {
                instance.state = InstanceState.DRAINING;
            }
        }
    }

    /**
     * After {@link #close}: removes every instance that is up; those still starting are removed when their start
     * ends. Returns what to wait for.
     */
    synchronized List<Instance> removeAll(Effects fx) {
        List<Instance> all = List.copyOf(instances);
        for (Instance instance : all) {
            if (instance.state != InstanceState.STARTING) {
                remove(instance, fx, true, "shutting down");
            }
        }
        return all;
    }

    /** How many instances are in {@code state}, for the instances-by-state gauges. */
    synchronized int count(InstanceState state) {
        int count = 0;
        for (Instance instance : instances) {
            if (instance.state == state) {
                count++;
            }
        }
        return count;
    }

    synchronized int openConnections() {
        int open = 0;
        for (Instance instance : instances) {
            open += instance.openConnections;
        }
        return open;
    }

    synchronized List<InstanceInfo> snapshot() {
        List<InstanceInfo> infos = new ArrayList<>(instances.size());
        for (Instance instance : instances) {
            infos.add(instance.info());
        }
        return infos;
    }

    synchronized List<Instance> starting() {
        List<Instance> starting = new ArrayList<>();
        for (Instance instance : instances) {
            if (instance.state == InstanceState.STARTING) {
                starting.add(instance);
            }
        }
        return starting;
    }

    // ---- under the lock ----

    private boolean assign(ServiceDefinition def, Waiter waiter, Effects fx) {
        int concurrency = valueOr(def.concurrency(), 0);
        Instance best = null;
        for (Instance instance : instances) {
            if (instance.state == InstanceState.READY && instance.servesNew(def)
                    && (concurrency == 0 || instance.openConnections < concurrency)
                    && (best == null || instance.openConnections < best.openConnections)) {
                best = instance;
            }
        }
        if (best != null) {
            best.openConnections++;
            best.lastActivityMillis = clock.getAsLong();
            fx.grant(best, waiter);
            return true;
        }
        for (Instance instance : instances) {
            if (instance.state == InstanceState.STARTING && instance.servesNew(def)
                    && (concurrency == 0 || instance.waiters.size() < concurrency)) {
                instance.waiters.add(waiter);
                return true;
            }
        }
        for (Instance instance : instances) {
            if (instance.state == InstanceState.PAUSED && instance.servesNew(def)) {
                // Resumed like a start: later connections join its waiters until it is ready.
                instance.state = InstanceState.STARTING;
                instance.waiters.add(waiter);
                fx.resume(instance);
                return true;
            }
        }
        if (live(def) < maxInstances(def)) {
            Instance instance = newInstance(def, fx);
            instance.waiters.add(waiter);
            fx.start(instance);
            return true;
        }
        return false;
    }

    /** Serves queued waiters while there is room, oldest first. */
    private void dispatch(Effects fx) {
        while (!closed && !queue.isEmpty()) {
            Waiter waiter = queue.peekFirst();
            if (waiter.promise.isDone()) {
                queue.pollFirst();
            } else if (assign(definition, waiter, fx)) {
                queue.pollFirst();
                waiter.cancelQueueTimeout();
            } else {
                return;
            }
        }
    }

    /** A new starting instance; it takes the spare (and its id) when the spare runs {@code def}. */
    private Instance newInstance(ServiceDefinition def, Effects fx) {
        Instance instance;
        if (spare != null && spare.definition.sameContainerAs(def)) {
            instance = new Instance(spare.id, def, clock.getAsLong(), spare);
            spare = null;
            fx.spareWanted = true;
        } else {
            instance = new Instance(newInstanceId.get(), def, clock.getAsLong());
        }
        instances.add(instance);
        return instance;
    }

    private void drain(Instance instance, Effects fx, String reason) {
        instance.drainRequested = true;
        if (instance.state == InstanceState.PAUSED) {
            remove(instance, fx, false, reason); // frozen and without connections: nothing to wait for
            return;
        }
        if (instance.state == InstanceState.READY) {
            instance.state = InstanceState.DRAINING;
        }
        if (instance.state == InstanceState.DRAINING && instance.openConnections == 0) {
            remove(instance, fx, true, reason);
        }
    }

    private void remove(Instance instance, Effects fx, boolean graceful, String reason) {
        if (instances.remove(instance)) {
            // A paused container cannot act on a stop signal: it is removed by force.
            boolean stop = graceful && instance.state != InstanceState.PAUSED;
            instance.state = InstanceState.STOPPING;
            fx.retire(instance, stop, reason);
            fx.spareWanted = true;
        }
    }

    /** Instances that count against {@code max_instances}: starting, ready or paused, of the current version. */
    private int live(ServiceDefinition def) {
        int live = 0;
        for (Instance instance : instances) {
            if (instance.servesNew(def)) {
                live++;
            }
        }
        return live;
    }

    static int maxInstances(ServiceDefinition def) {
        return Math.max(1, valueOr(def.maxInstances(), 1));
    }

    private static int valueOr(Integer value, int fallback) {
        return value == null ? fallback : value;
    }
}
