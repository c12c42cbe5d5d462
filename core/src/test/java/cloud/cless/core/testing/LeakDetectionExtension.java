package cloud.cless.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails a test (cheap check after each) or a test class (thorough check, with garbage collection, after all)
 * when Netty reported a leaked resource. Registered for every test class through JUnit's extension
 * auto-detection (META-INF/services in core's test-jar, enabled in the parent pom's surefire configuration).
 */
public final class LeakDetectionExtension implements AfterEachCallback, AfterAllCallback {
    private static final Logger log = LoggerFactory.getLogger(LeakDetectionExtension.class);

    static final String DETECTOR_PROPERTY = "io.netty.customResourceLeakDetector";
    private static final int ROUNDS = 4;
    private static final long WAIT_MILLIS = 25;

    @Override
    public void afterEach(ExtensionContext context) {
        // Leaks the collector already found, attributed to the test that just ran; no GC here (too slow).
        pollDetectors();
        failOnLeaks(LeakRegistry.drain(), context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        assertNoLeaks(context.getDisplayName());
    }

    /** Forces detection and throws an {@link AssertionError} listing every leak reported, naming {@code where}. */
    public void assertNoLeaks(String where) {
        failOnLeaks(detectLeaks(), where);
    }

    /**
     * Collects garbage and makes Netty look at what was collected, a few times over (reference processing is
     * asynchronous), then removes and returns every leak reported so far.
     */
    public List<LeakReport> detectLeaks() {
        for (int round = 0; round < ROUNDS; round++) {
            System.gc();
            sleep();
            allocateAndRelease();
            pollDetectors();
        }
        checkDetectorInstalled();
        return LeakRegistry.drain();
    }

    private static void failOnLeaks(List<LeakReport> leaks, String where) {
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " resource leak(s) detected by the time " + where
                    + " finished:\n" + leaks.stream().map(LeakReport::toString).collect(Collectors.joining("\n\n")));
        }
    }

    /** Allocations are where Netty polls its reference queue; cover each allocator's path. */
    private static void allocateAndRelease() {
        List<ByteBuf> buffers = List.of(
                PooledByteBufAllocator.DEFAULT.buffer(8), PooledByteBufAllocator.DEFAULT.directBuffer(8),
                UnpooledByteBufAllocator.DEFAULT.heapBuffer(8), UnpooledByteBufAllocator.DEFAULT.directBuffer(8),
                ByteBufAllocator.DEFAULT.buffer(8));
        buffers.forEach(ByteBuf::release);
    }

    private static void pollDetectors() {
        LeakRegistry.detectors().forEach(RecordingLeakDetector::poll);
    }

    /** Without the detector nothing is recorded and every check would pass: say so instead. */
    private static void checkDetectorInstalled() {
        if (!ResourceLeakDetector.isEnabled() || !LeakRegistry.detectors().isEmpty()) {
            return;
        }
        String configured = System.getProperty(DETECTOR_PROPERTY);
        if (RecordingLeakDetector.class.getName().equals(configured)) {
            throw new AssertionError(DETECTOR_PROPERTY + " names " + configured
                    + " but Netty did not load it (see Netty's log): leaks cannot be detected");
        }
        log.warn("Leak checks are off: run with -D{}={} (the Maven build sets it)", DETECTOR_PROPERTY,
                RecordingLeakDetector.class.getName());
    }

    private static void sleep() {
        try {
            Thread.sleep(WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the garbage collector", e);
        }
    }
}
