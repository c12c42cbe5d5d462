package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.RuntimeFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Keeps every report and every change of the manager's health. */
final class RecordingRevisionsListener implements SwarmRevisions.Listener {
    private final Duration wait;
    private final List<TaskReport> reports = new ArrayList<>();
    private final List<RuntimeFailure> engine = new ArrayList<>();

    RecordingRevisionsListener(Duration wait) {
        this.wait = wait;
    }

    @Override
    public synchronized void report(TaskReport report) {
        reports.add(report);
        notifyAll();
    }

    @Override
    public synchronized void engine(RuntimeFailure down) {
        engine.add(down);
    }

    synchronized List<TaskReport> reports() {
        return List.copyOf(reports);
    }

    synchronized List<RuntimeFailure> engineChanges() {
        return new ArrayList<>(engine);
    }

    /** Reports of {@code kind} for {@code revision}, in order. */
    synchronized List<TaskReport> all(TaskReport.Kind kind, String revision) {
        return reports.stream().filter(r -> r.kind() == kind && r.revision().equals(revision)).toList();
    }

    synchronized int count(TaskReport.Kind kind, String revision) {
        return all(kind, revision).size();
    }

    synchronized void clear() {
        reports.clear();
    }

    /** The first report of {@code kind} for {@code instanceId}, waiting for it. */
    synchronized TaskReport await(TaskReport.Kind kind, String instanceId) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            for (TaskReport report : reports) {
                if (report.kind() == kind && report.instanceId().equals(instanceId)) {
                    return report;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + kind + " report of " + instanceId + " within " + wait
                        + "; reports: " + reports);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
