package cloud.cless.core.runtime.swarm;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One revision the {@link TaskWatch} polls: its {@link TaskTracker}, whether a poll of it by name is in flight, and
 * the telling of what changed. Its monitor orders everything done to the tracker, so that the revision's reports
 * reach the listener in the order its tasks changed; the listener is called under it and must not block.
 */
final class WatchedRevision {
    private static final Logger log = LoggerFactory.getLogger(WatchedRevision.class);

    final String revision;
    final String serviceName;
    private final TaskTracker tracker;
    private final TaskWatch.Listener listener;
    private final LongSupplier clock;
    /** False once it is unwatched or the watch closed: nothing more is told. */
    private final BooleanSupplier telling;
    // Guarded by this:
    private boolean polling;
    private boolean pollAgain;

    WatchedRevision(String revision, TaskWatch.Listener listener, LongSupplier clock, BooleanSupplier telling) {
        this.revision = revision;
        this.serviceName = SwarmServiceSpec.nameFor(revision);
        this.tracker = new TaskTracker(revision);
        this.listener = listener;
        this.clock = clock;
        this.telling = telling;
    }

    /** Reads the tracker. */
    synchronized <T> T read(Function<TaskTracker, T> reader) {
        return reader.apply(tracker);
    }

    /** Changes the tracker, telling nothing. */
    synchronized void change(Consumer<TaskTracker> change) {
        change.accept(tracker);
    }

    /** Tells what {@code step} of the tracker reports. */
    synchronized void tell(Function<TaskTracker, List<TaskReport>> step) {
        dispatch(step.apply(tracker));
    }

    /** True when a poll by name may begin now; else it is asked for again once the one in flight ends. */
    synchronized boolean beginPoll() {
        if (polling) {
            pollAgain = true;
            return false;
        }
        polling = true;
        return true;
    }

    /** The poll by name ended; true when another was asked for meanwhile. */
    synchronized boolean endPoll() {
        polling = false;
        boolean again = pollAgain;
        pollAgain = false;
        return again;
    }

    /**
     * A listing of the revision's tasks, asked for at {@code issuedNanos}: what changed is told, and, when tasks
     * keep failing and none runs, that the revision is failing.
     */
    synchronized void apply(List<SwarmTask> tasks, long issuedNanos) {
        long now = clock.getAsLong();
        List<TaskReport> reports = tracker.observe(tasks, issuedNanos, now);
        dispatch(reports);
        dispatch(tracker.expire(now));
        if (reports.stream().anyMatch(r -> r.kind() == TaskReport.Kind.FAILED) && tracker.scaleBackDue()
                && telling.getAsBoolean()) {
            listener.failing(revision);
        }
    }

    private void dispatch(List<TaskReport> reports) {
        if (!telling.getAsBoolean()) {
            return;
        }
        for (TaskReport report : reports) {
            try {
                listener.report(report);
            } catch (RuntimeException e) {
                log.warn("Handling {} of task {} of revision {} failed", report.kind(), report.instanceId(),
                        report.revision(), e);
            }
        }
    }
}
