package cloud.cless.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Process-wide record of the leaks Netty reported. Static on purpose: Netty instantiates
 * {@link RecordingLeakDetector} itself (from {@code io.netty.customResourceLeakDetector}), so there is no
 * constructor through which an instance could be passed.
 */
public final class LeakRegistry {
    private static final Queue<LeakReport> REPORTS = new ConcurrentLinkedQueue<>();
    private static final List<RecordingLeakDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();

    private LeakRegistry() {
    }

    static void detectorCreated(RecordingLeakDetector<?> detector) {
        DETECTORS.add(detector);
    }

    static void leakReported(LeakReport report) {
        REPORTS.add(report);
    }

    /** The detectors Netty created so far (one per resource type). */
    public static List<RecordingLeakDetector<?>> detectors() {
        return List.copyOf(DETECTORS);
    }

    /** Removes and returns every leak reported since the last drain. */
    public static List<LeakReport> drain() {
        List<LeakReport> drained = new ArrayList<>();
        for (LeakReport report = REPORTS.poll(); report != null; report = REPORTS.poll()) {
            drained.add(report);
        }
        return drained;
    }

    /** Forgets every leak reported so far (after a test that leaks on purpose). */
    public static void clear() {
        REPORTS.clear();
    }
}
