package cloud.cless.core.instance;

import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.runtime.swarm.SwarmRevisions;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.runtime.swarm.TaskReport;
import cloud.cless.core.service.ResolvedService;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances coming up on a swarm. A start asks the revision's service for at least as many replicas as the pool
 * counts now (so at least one: a cold start from zero), and the instance is whichever task is reported running
 * next: the oldest start of the revision that waits takes it over (its id becomes the task's, its address the
 * task's node and port), and cless probes it there. A running task no start waits for (after a restart, or one
 * another replica or the leader asked for) is adopted and probed the same way. A task that fails before it runs
 * fails every start of its revision that waits, naming image and node. All within the startup timeout, counted
 * from the start; the outcome goes to the pool, a failure logged here once.
 */
final class SwarmStarts {
    private static final Logger log = LoggerFactory.getLogger(SwarmStarts.class);

    /** One instance coming up; it ends once, by whichever comes first. */
    private final class Start {
        final ServicePool pool;
        final Instance instance;
        final EffectRunner runner;
        final ResolvedService spec;
        /** A cold start this process asked for; false for a task found running and adopted. */
        final boolean asked;
        final long beganNanos = System.nanoTime();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile ScheduledFuture<?> deadline;
        volatile TaskReport task;

        Start(ServicePool pool, Instance instance, EffectRunner runner, boolean asked) {
            this.pool = pool;
            this.instance = instance;
            this.runner = runner;
            this.spec = pool.spec();
            this.asked = asked;
        }

        Duration left() {
            return spec.startupTimeout().minusNanos(System.nanoTime() - beganNanos);
        }
    }

    private final SwarmRevisions revisions;
    private final ReadinessProbe probe;
    private final EventLoopGroup group;
    private final Function<ResolvedService, SwarmServiceSpec> specs;
    private final Supplier<RuntimeFailure> down;
    private final StartGate gate;
    private final int mostAskedFor;
    /** Cold starts no task was found for yet, oldest first, by revision; guarded by this. */
    private final Map<String, Deque<Start>> waiting = new HashMap<>();
    private final Set<Start> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param specs        what a revision's Swarm service is made from
     * @param down         why the swarm cannot be used now, or null
     * @param gate         consulted before every start
     * @param mostAskedFor the most replicas a start asks for (1 where a leader decides beyond the first)
     */
    SwarmStarts(SwarmRevisions revisions, ReadinessProbe probe, EventLoopGroup group,
                Function<ResolvedService, SwarmServiceSpec> specs, Supplier<RuntimeFailure> down, StartGate gate,
                int mostAskedFor) {
        this.revisions = revisions;
        this.probe = probe;
        this.group = group;
        this.specs = specs;
        this.down = down;
        this.gate = gate;
        this.mostAskedFor = mostAskedFor;
    }

    /** Asks for a task for the starting {@code instance} of {@code pool}; its waiters hear of the outcome. */
    void start(ServicePool pool, Instance instance, EffectRunner runner) {
        Start start = new Start(pool, instance, runner, true);
        instance.settled.complete(null); // no engine object is made for it: nothing to wait for on retirement
        AcquireFailure failure = refusal(pool);
        if (failure != null) {
            pool.meters().coldStartFailed(reason(failure));
            runner.decide(pool, fx -> pool.startFailed(instance, failure, fx));
            return;
        }
        if (!begin(start)) {
            return;
        }
        synchronized (this) {
            waiting.computeIfAbsent(instance.revision, r -> new ArrayDeque<>()).add(start);
        }
        revisions.startOne(specs.apply(start.spec), wanted(pool)).whenComplete((update, error) -> {
            if (error != null) {
                end(start, Failures.unwrap(error));
            }
        });
    }

    /** Why no start may go now (shutting down, the swarm unusable, the gate closed), or null. */
    private AcquireFailure refusal(ServicePool pool) {
        if (closed) {
            return Admission.shuttingDown(pool.service());
        }
        RuntimeFailure unusable = down.get();
        if (unusable != null) {
            return StartFailures.engineDown(pool.service(), unusable);
        }
        String gateClosed = gate.refusal();
        return gateClosed == null ? null : StartFailures.refused(pool.service(), gateClosed);
    }

    /** The replicas a start asks for: as many as its pool counts (the start included), within the most allowed. */
    private int wanted(ServicePool pool) {
        return Math.min(mostAskedFor, Math.max(1, pool.read(instances -> instances.serving().size())));
    }

    /** A task of {@code pool}'s revision runs: a waiting start takes it over, else it is adopted. */
    void running(ServicePool pool, TaskReport task, EffectRunner runner) {
        if (pool.read(instances -> instances.byId(task.instanceId()) != null)) {
            return; // offered again, and this pool has it
        }
        Start start = claim(task.revision());
        if (start != null) {
            Instance instance = start.instance;
            start.task = task;
            instance.id = task.instanceId(); // before any lease: the instance is the task
            instance.containerId = task.task().containerId();
            instance.bindTo(task.address());
            awaitReady(start);
            return;
        }
        Instance adopted = pool.adoptAt(task.instanceId(), task.address(), task.task().containerId());
        if (adopted == null) {
            log.debug("Task {} of revision {} is not taken: its pool is full or going", task.instanceId(),
                    task.revision());
            return;
        }
        Start adoption = new Start(pool, adopted, runner, false);
        adoption.task = task;
        if (begin(adoption)) {
            awaitReady(adoption);
        }
    }

    /** A task of {@code revision} failed before it ran: every start of it that waits for a task fails with it. */
    void failed(String revision, RuntimeFailure failure) {
        List<Start> failing;
        synchronized (this) {
            Deque<Start> starts = waiting.remove(revision);
            failing = starts == null ? List.of() : new ArrayList<>(starts);
        }
        failing.forEach(start -> end(start, failure));
    }

    /**
     * A task of {@code revision} ended or was taken away (a scale-down picks a task that is not running yet first):
     * starts still waiting for a task ask again for as many replicas as their pool counts, so none waits for a task
     * that is gone.
     */
    void taskGone(String revision) {
        Start oldest;
        synchronized (this) {
            Deque<Start> starts = waiting.get(revision);
            oldest = starts == null ? null : starts.peek();
        }
        if (oldest != null && !oldest.ended.get() && !closed) {
            revisions.startOne(specs.apply(oldest.spec), wanted(oldest.pool)).whenComplete((update, error) -> {
                revisions.startEnded(revision); // startOne counted one more start awaited: this is not one
                if (error != null) {
                    log.debug("Asking again for a task of revision {} failed: {}", revision,
                            Failures.unwrap(error).getMessage());
                }
            });
        }
    }

    /** The task of a starting instance ended: its start fails now, not at its deadline. */
    void exited(Instance instance) {
        InstanceProbes.cancel(instance);
    }

    /** cless shuts down: no new start, and every start in flight fails. */
    void close() {
        closed = true;
        for (Start start : inFlight) {
            end(start, new CancellationException("cless is shutting down"));
        }
    }

    boolean idle() {
        return inFlight.isEmpty();
    }

    /** Tracks {@code start} and sets its deadline; false when the event loops are gone (it ended then). */
    private boolean begin(Start start) {
        inFlight.add(start);
        try {
            start.deadline = group.next().schedule(() -> end(start, new TimeoutException()),
                    start.spec.startupTimeout().toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException loopsGone) {
            end(start, new CancellationException("the event loops are shut down"));
            return false;
        }
    }

    /** The oldest start of {@code revision} still waiting for a task, taken out of the line; null when none. */
    private synchronized Start claim(String revision) {
        Deque<Start> starts = waiting.get(revision);
        while (starts != null && !starts.isEmpty()) {
            Start start = starts.poll();
            if (!start.ended.get()) {
                return start;
            }
        }
        waiting.remove(revision);
        return null;
    }

    private void awaitReady(Start start) {
        InstanceProbes.awaitReady(probe, group.next(), start.instance, start.spec.readinessPath(), start.left(),
                () -> closed || start.ended.get()).whenComplete((v, error) -> end(start, error));
    }

    /** Ends {@code start} the first time only: with success when {@code error} is null. */
    private void end(Start start, Throwable error) {
        if (!start.ended.compareAndSet(false, true)) {
            return;
        }
        inFlight.remove(start);
        ScheduledFuture<?> deadline = start.deadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
        Instance instance = start.instance;
        ServicePool pool = start.pool;
        if (start.asked) {
            synchronized (this) {
                Deque<Start> starts = waiting.get(instance.revision);
                if (starts != null) {
                    starts.remove(start);
                }
            }
            revisions.startEnded(instance.revision);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start.beganNanos);
        TaskReport task = start.task;
        if (error == null) {
            if (start.asked) {
                pool.meters().coldStarted(System.nanoTime() - start.beganNanos);
                log.info("Cold start of service {} (revision {}): task {} at {} ready in {} ms", pool.service(),
                        pool.key(), instance.id, SwarmStartFailures.where(instance), millis);
            } else {
                log.info("Task {} of service {} (revision {}) at {} answers: it takes requests", instance.id,
                        pool.service(), pool.key(), SwarmStartFailures.where(instance));
            }
            start.runner.decide(pool, fx -> pool.ready(instance, fx));
            return;
        }
        exited(instance); // a probe still running (the deadline passed) stops
        AcquireFailure failure = SwarmStartFailures.of(instance, start.spec, task != null, closed, error);
        if (start.asked) {
            log.warn("Cold start of service {} (revision {}, image {}) failed: {}", pool.service(), pool.key(),
                    instance.template.image(), failure.getMessage());
            pool.meters().coldStartFailed(reason(failure));
            if (task != null && !instance.exited && !closed) {
                // Its task runs but does not answer: one replica fewer, so that it does not hold a slot for ever.
                revisions.letGo(instance.revision, instance.id);
            }
        } else {
            log.info("Task {} of revision {} at {} does not answer; not routing to it: {}", instance.id, pool.key(),
                    SwarmStartFailures.where(instance), failure.getMessage());
        }
        start.runner.decide(pool, fx -> pool.startFailed(instance, failure, fx));
    }

    private static String reason(AcquireFailure failure) {
        return failure.reason().name().toLowerCase(Locale.ROOT);
    }
}
