package cloud.cless.core.runtime.swarm;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tasks of one revision's service from one listing to the next: says what changed ({@link TaskReport}s, one per
 * change of a task), and keeps what decides how soon to look again. Swarm sends no task events, so this is how
 * cless learns that a task runs, that Swarm picked one to take down, or that a node refused one.
 *
 * <p>The first listing is a baseline: running tasks are reported (a restarted cless adopts them), the history of
 * ended ones is not (but for the failures, when a start waits already). A scale-down cannot name its task: when cless lets an instance go, the instance is
 * {@link #released}, and the next task Swarm marks for shutdown is the one it picked; when that is another task, or
 * no task is picked within {@link #PICK_WAIT_MILLIS}, the instance let go is reported running again, to be taken
 * back. Pure: times are passed in, and its owner guards it.
 */
final class TaskTracker {
    /** Failures in a row with nothing running after which Swarm's retry loop is stopped (scaled to zero). */
    static final int FAILURES_BEFORE_SCALE_BACK = 3;
    /** How long a scale-down waits to see which task Swarm picked (it takes about 70 ms). */
    static final long PICK_WAIT_MILLIS = 5_000;
    /** How long a starting task nobody in this process waits for keeps the polls fast. */
    static final long STARTING_FAST_MILLIS = 10_000;

    private enum Seen { STARTING, RUNNING, DRAINING, ENDED }

    private static final class Known {
        Seen seen;
        SwarmTask task;
        long sinceMillis;

        Known(Seen seen, SwarmTask task, long sinceMillis) {
            this.seen = seen;
            this.task = task;
            this.sinceMillis = sinceMillis;
        }
    }

    private record Release(String taskId, long atMillis) {
    }

    private final String revision;
    private final Map<String, Known> tasks = new LinkedHashMap<>();
    private final Deque<Release> released = new ArrayDeque<>();
    private boolean baselined;
    private long lastIssued = Long.MIN_VALUE;
    private int pendingStarts;
    private int failuresInARow;
    private String serviceId;

    TaskTracker(String revision) {
        this.revision = revision;
    }

    String revision() {
        return revision;
    }

    /** The id of the service the tasks belong to, or null while it is not known (or the service is missing). */
    String serviceId() {
        return serviceId;
    }

    void serviceId(String id) {
        serviceId = id;
    }

    /**
     * A listing of the service's tasks, asked for at {@code issuedNanos}; one asked for before the last one applied
     * is stale and changes nothing (two polls may answer out of order). Returns what changed.
     */
    List<TaskReport> observe(List<SwarmTask> listed, long issuedNanos, long nowMillis) {
        if (issuedNanos <= lastIssued) {
            return List.of();
        }
        lastIssued = issuedNanos;
        List<TaskReport> reports = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (SwarmTask task : listed) {
            present.add(task.id());
            Known known = tasks.get(task.id());
            if (known == null) {
                first(task, nowMillis, reports);
            } else {
                known.task = task;
                next(known, nowMillis, reports);
            }
        }
        for (Iterator<Map.Entry<String, Known>> it = tasks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Known> entry = it.next();
            if (present.contains(entry.getKey())) {
                continue;
            }
            if (entry.getValue().seen != Seen.ENDED) {
                reports.add(TaskReport.vanished(revision, entry.getKey())); // removed with its service, or pruned
            }
            it.remove();
        }
        released.removeIf(release -> !tasks.containsKey(release.taskId()));
        baselined = true;
        return reports;
    }

    /** Instances let go that Swarm did not pick within {@link #PICK_WAIT_MILLIS}: offered back as running. */
    List<TaskReport> expire(long nowMillis) {
        List<TaskReport> reports = new ArrayList<>();
        while (!released.isEmpty() && nowMillis - released.peek().atMillis() >= PICK_WAIT_MILLIS) {
            offerBack(released.poll().taskId(), reports);
        }
        return reports;
    }

    /**
     * Every running task again (but those let go and not yet picked or offered back), as {@code RUNNING} reports:
     * for a start that waits, in case an earlier report of one was not taken (its pool was full or not there yet).
     */
    List<TaskReport> offerRunning() {
        List<TaskReport> reports = new ArrayList<>();
        for (Map.Entry<String, Known> entry : tasks.entrySet()) {
            String id = entry.getKey();
            if (entry.getValue().seen == Seen.RUNNING && released.stream().noneMatch(r -> r.taskId().equals(id))) {
                offerBack(id, reports);
            }
        }
        return reports;
    }

    /** The instance of task {@code taskId} was let go: the next task Swarm marks for shutdown is the one it picked. */
    void released(String taskId, long nowMillis) {
        Known known = tasks.get(taskId);
        if (known != null && known.seen == Seen.RUNNING) {
            released.add(new Release(taskId, nowMillis));
        }
    }

    /** Letting {@code taskId}'s instance go wrote nothing (the count had changed): it is offered back at once. */
    List<TaskReport> releaseUndone(String taskId) {
        List<TaskReport> reports = new ArrayList<>();
        if (released.removeIf(release -> release.taskId().equals(taskId))) {
            offerBack(taskId, reports);
        }
        return reports;
    }

    /** Starts this process waits for (cless asked for a task and none has come for it yet). */
    void startPending() {
        pendingStarts++;
    }

    void startEnded() {
        pendingStarts = Math.max(0, pendingStarts - 1);
    }

    /**
     * Whether to poll at the fast interval: a start is awaited, a scale-down waits to see its pick, or a task is
     * coming up (another replica's cold start, the leader's scale-up) that should be routed to soon.
     */
    boolean fast(long nowMillis) {
        if (pendingStarts > 0 || !released.isEmpty()) {
            return true;
        }
        for (Known known : tasks.values()) {
            if (known.seen == Seen.STARTING && nowMillis - known.sinceMillis < STARTING_FAST_MILLIS) {
                return true;
            }
        }
        return false;
    }

    /** Tasks meant to run (starting or running, not draining): the count a scale-down is based on. */
    int wanted() {
        int wanted = 0;
        for (Known known : tasks.values()) {
            if (known.seen == Seen.STARTING || known.seen == Seen.RUNNING) {
                wanted++;
            }
        }
        return wanted;
    }

    /**
     * True once {@link #FAILURES_BEFORE_SCALE_BACK} tasks in a row failed before they ran while none runs: Swarm
     * would go on replacing them for ever. The count starts again from zero.
     */
    boolean scaleBackDue() {
        if (failuresInARow < FAILURES_BEFORE_SCALE_BACK) {
            return false;
        }
        for (Known known : tasks.values()) {
            if (known.seen == Seen.RUNNING || known.seen == Seen.DRAINING) {
                return false;
            }
        }
        failuresInARow = 0;
        return true;
    }

    /** A task not seen before: on the first listing only running and starting ones matter. */
    private void first(SwarmTask task, long nowMillis, List<TaskReport> reports) {
        Optional<InetSocketAddress> address = task.isRunning() ? task.address() : Optional.empty();
        if (address.isPresent()) {
            tasks.put(task.id(), new Known(Seen.RUNNING, task, nowMillis));
            failuresInARow = 0;
            reports.add(TaskReport.running(revision, task, address.get()));
        } else if (task.isWanted()) {
            tasks.put(task.id(), new Known(Seen.STARTING, task, nowMillis));
            reports.add(TaskReport.of(TaskReport.Kind.STARTING, revision, task));
        } else {
            tasks.put(task.id(), new Known(Seen.ENDED, task, nowMillis));
            // On the first listing, a failure is history unless a start waits: then it is likely why it waits.
            if ((baselined || pendingStarts > 0) && task.state().isFailure()) {
                failed(task, reports);
            }
        }
    }

    /** A task seen before. */
    private void next(Known known, long nowMillis, List<TaskReport> reports) {
        SwarmTask task = known.task;
        switch (known.seen) {
            case STARTING -> {
                Optional<InetSocketAddress> address = task.isRunning() ? task.address() : Optional.empty();
                if (address.isPresent()) {
                    moveTo(known, Seen.RUNNING, nowMillis);
                    failuresInARow = 0;
                    reports.add(TaskReport.running(revision, task, address.get()));
                } else if (task.state().isFailure()) {
                    moveTo(known, Seen.ENDED, nowMillis);
                    failed(task, reports);
                } else if (!task.isWanted()) {
                    // Scaled away before it ran: Swarm takes a task that is not running yet first.
                    moveTo(known, Seen.ENDED, nowMillis);
                    reports.add(TaskReport.of(TaskReport.Kind.GONE, revision, task));
                    picked(task.id(), reports);
                }
            }
            case RUNNING -> {
                if (task.state().isTerminal()) {
                    moveTo(known, Seen.ENDED, nowMillis);
                    reports.add(TaskReport.of(TaskReport.Kind.GONE, revision, task));
                } else if (!task.isWanted()) {
                    moveTo(known, Seen.DRAINING, nowMillis);
                    reports.add(TaskReport.of(TaskReport.Kind.DRAINING, revision, task));
                    picked(task.id(), reports);
                }
            }
            case DRAINING -> {
                if (task.state().isTerminal()) {
                    moveTo(known, Seen.ENDED, nowMillis);
                    reports.add(TaskReport.of(TaskReport.Kind.GONE, revision, task));
                }
            }
            case ENDED -> {
                // nothing more happens to it
            }
        }
    }

    /** Swarm marked {@code taskId} for shutdown: if an instance was let go and this is not it, that one stays. */
    private void picked(String taskId, List<TaskReport> reports) {
        if (released.removeIf(release -> release.taskId().equals(taskId))) {
            return;
        }
        Release other = released.poll();
        if (other != null) {
            offerBack(other.taskId(), reports);
        }
    }

    private void offerBack(String taskId, List<TaskReport> reports) {
        Known known = tasks.get(taskId);
        if (known != null && known.seen == Seen.RUNNING) {
            known.task.address().ifPresent(address -> reports.add(TaskReport.running(revision, known.task, address)));
        }
    }

    private void failed(SwarmTask task, List<TaskReport> reports) {
        failuresInARow++;
        reports.add(TaskReport.failed(revision, task));
    }

    private static void moveTo(Known known, Seen seen, long nowMillis) {
        known.seen = seen;
        known.sinceMillis = nowMillis;
    }
}
