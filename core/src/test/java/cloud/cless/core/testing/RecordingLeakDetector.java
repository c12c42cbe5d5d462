package cloud.cless.core.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakTracker;
import java.lang.ref.Reference;

/**
 * Netty's leak detector, but every leak it reports is also recorded in {@link LeakRegistry} so that
 * {@link LeakDetectionExtension} can fail the test. Installed with
 * {@code -Dio.netty.customResourceLeakDetector=cloud.cless.core.testing.RecordingLeakDetector}.
 */
public class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    /** The constructor Netty's {@code ResourceLeakDetectorFactory} looks up by reflection. */
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        LeakRegistry.detectorCreated(this);
    }

    /**
     * The constructor older Netty versions used; Netty still looks it up first and logs an error when it is
     * missing, so it exists only to keep every test run's log clean.
     */
    @Deprecated
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    /** Report even when Netty's own logger has errors switched off: the registry is what fails the build. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LeakRegistry.leakReported(new LeakReport(resourceType, records));
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LeakRegistry.leakReported(new LeakReport(resourceType, ""));
        super.reportUntracedLeak(resourceType);
    }

    /**
     * Makes the detector look at the references the garbage collector queued since the last time.
     * Netty only does that when it starts tracking a new resource, so track (and close) a throwaway one.
     */
    @SuppressWarnings("unchecked")
    void poll() {
        Object probe = new Object();
        ResourceLeakTracker<T> tracker = trackForcibly((T) probe);
        if (tracker != null) {
            tracker.close((T) probe);
        }
        Reference.reachabilityFence(probe);
    }
}
