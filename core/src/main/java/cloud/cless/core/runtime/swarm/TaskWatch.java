package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the tasks of the watched revisions and hands what changed to a listener: the tasks of a revision that
 * awaits something (see {@link TaskTracker#fast}) by its service's name every fast interval, all others in one
 * listing of the installation every slow interval, and one revision at once when asked ({@link #pollNow}). Each
 * revision's reports reach the listener in the order its tasks changed, one revision's at a time; a listener must
 * not block. Whether the manager answers is told to the listener when it changes.
 */
final class TaskWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskWatch.class);

    /** Told what the polls find. */
    interface Listener {
        /** What became of a task; called with the revision's reports in order. */
        void report(TaskReport report);

        /** Tasks of the revision keep failing before they run, and none runs: Swarm's retries should stop. */
        void failing(String revision);

        /** The manager stopped answering ({@code down}), or answers again ({@code null}). */
        void engine(RuntimeFailure down);
    }

    private final SwarmApi swarm;
    private final ScheduledExecutorService timer;
    private final String installationId;
    private final TaskPolling polling;
    private final LongSupplier clock;
    private final Listener listener;
    private final Map<String, WatchedRevision> watched = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile RuntimeFailure down;
    // Guarded by this:
    private ScheduledFuture<?> slowTick;
    private ScheduledFuture<?> fastTick;
    private long idsRefreshedAtMillis = Long.MIN_VALUE / 2;

    /**
     * @param timer schedules the polls (never blocks in them: the calls run on the client's executor)
     * @param clock milliseconds of a monotonic clock
     */
    TaskWatch(SwarmApi swarm, ScheduledExecutorService timer, String installationId, TaskPolling polling,
              LongSupplier clock, Listener listener) {
        this.swarm = swarm;
        this.timer = timer;
        this.installationId = installationId;
        this.polling = polling;
        this.clock = clock;
        this.listener = listener;
    }

    /** Begins the slow polls. */
    void start() {
        scheduleSlow(0);
    }

    /** Watches {@code revision}'s tasks (no-op when watched); {@code serviceId}, when known, saves a lookup. */
    void watch(String revision, String serviceId) {
        WatchedRevision w = watched.computeIfAbsent(revision, r -> new WatchedRevision(r, listener, clock,
                () -> !closed && watched.get(r) != null));
        if (serviceId != null) {
            w.change(tracker -> tracker.serviceId(serviceId));
        }
    }

    /** Stops watching {@code revision}: nothing more is reported of it. */
    void unwatch(String revision) {
        watched.remove(revision);
    }

    boolean watches(String revision) {
        return watched.containsKey(revision);
    }

    /** The id of {@code revision}'s service as the polls know it; null when unwatched, unknown or missing. */
    String serviceId(String revision) {
        WatchedRevision w = watched.get(revision);
        return w == null ? null : w.read(TaskTracker::serviceId);
    }

    /** {@code revision}'s service turned out to be missing: its id is looked up (or the service made) anew. */
    void serviceMissing(String revision) {
        change(revision, tracker -> tracker.serviceId(null));
    }

    /** The manager's outage as the polls found it, or null while it answers. */
    RuntimeFailure down() {
        return down;
    }

    /** This process waits for a task of {@code revision}: its polls go fast until {@link #startEnded}. */
    void startPending(String revision) {
        change(revision, TaskTracker::startPending);
        kick();
    }

    /** Reports every running task of {@code revision} again (see {@link TaskTracker#offerRunning}). */
    void offerRunning(String revision) {
        tell(revision, TaskTracker::offerRunning);
    }

    void startEnded(String revision) {
        change(revision, TaskTracker::startEnded);
    }

    /** The instance of task {@code taskId} was let go by a scale-down: its polls go fast until Swarm picks one. */
    void released(String revision, String taskId) {
        change(revision, tracker -> tracker.released(taskId, clock.getAsLong()));
        kick();
    }

    /** The scale-down of {@link #released} wrote nothing: the instance is offered back. */
    void releaseUndone(String revision, String taskId) {
        tell(revision, tracker -> tracker.releaseUndone(taskId));
    }

    /** Tasks of {@code revision} meant to run as of the last poll: what a scale-down's compare is based on. */
    int wanted(String revision) {
        WatchedRevision w = watched.get(revision);
        return w == null ? 0 : w.read(TaskTracker::wanted);
    }

    /** Polls {@code revision} now (a connection to one of its instances was refused, say). */
    void pollNow(String revision) {
        WatchedRevision w = watched.get(revision);
        if (w != null) {
            pollByName(w);
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            for (ScheduledFuture<?> tick : new ScheduledFuture<?>[] {slowTick, fastTick}) {
                if (tick != null) {
                    tick.cancel(false);
                }
            }
        }
    }

    // ---- polls ----

    private void pollByName(WatchedRevision w) {
        if (!w.beginPoll()) {
            return;
        }
        long issued = System.nanoTime();
        swarm.tasks(w.serviceName).whenComplete((tasks, error) -> {
            Throwable cause = unwrap(error);
            if (cause == null) {
                if (!tasks.isEmpty()) {
                    w.change(tracker -> tracker.serviceId(tasks.get(0).serviceId()));
                }
                w.apply(tasks, issued);
            } else if (cause instanceof SwarmServiceMissingException) {
                w.change(tracker -> tracker.serviceId(null)); // removed behind cless's back: so are its tasks
                w.apply(List.of(), issued);
            }
            boolean again = w.endPoll();
            answered(cause instanceof SwarmServiceMissingException ? null : cause, "tasks of " + w.serviceName);
            if (again && !closed) {
                pollByName(w);
            }
        });
    }

    private void slowTick() {
        if (closed) {
            return;
        }
        long issued = System.nanoTime();
        swarm.installationTasks(installationId).whenComplete((tasks, error) -> {
            Throwable cause = unwrap(error);
            answered(cause, "tasks of installation " + installationId);
            if (cause == null) {
                spread(tasks, issued);
            }
            scheduleSlow(polling.slow().toMillis());
        });
    }

    /** One listing of every task, handed to each revision's tracker; those whose service id is unknown ask by name. */
    private void spread(List<SwarmTask> tasks, long issued) {
        Map<String, List<SwarmTask>> byService = new HashMap<>();
        for (SwarmTask task : tasks) {
            byService.computeIfAbsent(task.serviceId(), id -> new ArrayList<>()).add(task);
        }
        for (WatchedRevision w : watched.values()) {
            String id = w.read(TaskTracker::serviceId);
            if (id == null) {
                pollByName(w);
            } else {
                List<SwarmTask> mine = byService.remove(id);
                w.apply(mine == null ? List.of() : mine, issued);
            }
        }
        if (!byService.isEmpty()) {
            refreshServiceIds(); // a service made anew by another replica, or one that is not watched
        }
    }

    private void refreshServiceIds() {
        synchronized (this) {
            long now = clock.getAsLong();
            if (now - idsRefreshedAtMillis < polling.serviceIdsRefresh().toMillis()) {
                return;
            }
            idsRefreshedAtMillis = now;
        }
        swarm.listManaged(installationId).whenComplete((services, error) -> {
            if (error != null) {
                return; // the next listing tries again; an outage is told by the polls
            }
            for (SwarmService service : services) {
                change(service.labels().getOrDefault(ContainerLabels.REVISION, ""),
                        tracker -> tracker.serviceId(service.id()));
            }
        });
    }

    private void fastTick() {
        synchronized (this) {
            fastTick = null;
        }
        if (closed) {
            return;
        }
        long now = clock.getAsLong();
        boolean any = false;
        for (WatchedRevision w : watched.values()) {
            w.tell(tracker -> tracker.expire(now));
            if (w.read(tracker -> tracker.fast(now))) {
                any = true;
                pollByName(w);
            }
        }
        if (any) {
            kick();
        }
    }

    private void change(String revision, Consumer<TaskTracker> change) {
        WatchedRevision w = watched.get(revision);
        if (w != null) {
            w.change(change);
        }
    }

    private void tell(String revision, Function<TaskTracker, List<TaskReport>> step) {
        WatchedRevision w = watched.get(revision);
        if (w != null) {
            w.tell(step);
        }
    }

    // ---- scheduling and health ----

    /** Makes sure a fast tick comes, unless one is scheduled. */
    private synchronized void kick() {
        if (closed || fastTick != null) {
            return;
        }
        try {
            fastTick = timer.schedule(this::fastTick, polling.fast().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException timerGone) {
            fastTick = null;
        }
    }

    private synchronized void scheduleSlow(long delayMillis) {
        if (closed) {
            return;
        }
        try {
            slowTick = timer.schedule(this::slowTick, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException timerGone) {
            slowTick = null;
        }
    }

    /** A poll ended; {@code cause} null when the manager answered. A change either way is told once. */
    private void answered(Throwable cause, String what) {
        if (closed) {
            return;
        }
        if (cause != null && !RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE)) {
            log.warn("Listing the {} failed; trying again: {}", what, cause.getMessage());
            return;
        }
        RuntimeFailure now = (RuntimeFailure) cause;
        boolean changed;
        synchronized (this) {
            changed = (down == null) != (now == null);
            down = now;
        }
        if (changed) {
            listener.engine(now);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while (current instanceof CompletionException && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
