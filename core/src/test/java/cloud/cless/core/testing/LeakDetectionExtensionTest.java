package cloud.cless.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.Extension;

class LeakDetectionExtensionTest {

    private final LeakDetectionExtension extension = new LeakDetectionExtension();

    @AfterEach
    void forgetDeliberateLeaks() {
        // Runs before the auto-detected extension's afterEach: the leaks made on purpose here must not fail us.
        LeakRegistry.clear();
    }

    @Test
    void nettyUsesTheRecordingDetector() {
        PooledByteBufAllocator.DEFAULT.buffer(1).release();
        assertThat(System.getProperty(LeakDetectionExtension.DETECTOR_PROPERTY))
                .isEqualTo(RecordingLeakDetector.class.getName());
        assertThat(LeakRegistry.detectors()).isNotEmpty();
    }

    @Test
    void theExtensionIsRegisteredForAutoDetection() {
        assertThat(ServiceLoader.load(Extension.class)).anyMatch(LeakDetectionExtension.class::isInstance);
    }

    @Test
    void aLeakedBufferIsReported() {
        String hint = "deliberate leak " + UUID.randomUUID();
        leakABuffer(hint);

        List<LeakReport> leaks = detectUntilFound();

        assertThat(leaks).anySatisfy(leak -> {
            assertThat(leak.resourceType()).isEqualTo("ByteBuf");
            assertThat(leak.records()).contains(hint).contains("leakABuffer");
        });
        assertThat(LeakRegistry.drain()).isEmpty();
    }

    @Test
    void theCheckFailsNamingTheLeakAndWhere() {
        String hint = "deliberate leak " + UUID.randomUUID();
        leakABuffer(hint);

        AssertionError failure = null;
        for (int attempt = 0; attempt < 20 && failure == null; attempt++) {
            try {
                extension.assertNoLeaks("the leaking test");
            } catch (AssertionError e) {
                failure = e;
            }
        }

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("resource leak(s) detected by the time the leaking test finished")
                .contains("LEAK: ByteBuf was not released").contains(hint);
    }

    @Test
    void releasedBuffersAreNotLeaks() {
        for (int i = 0; i < 100; i++) {
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(64);
            pooled.writeInt(i);
            unpooled.writeBytes(pooled);
            pooled.release();
            unpooled.release();
        }
        assertThat(extension.detectLeaks()).isEmpty();
        extension.assertNoLeaks("the clean test");
    }

    @Test
    void everyLeakIsReported() {
        String first = "first " + UUID.randomUUID();
        String second = "second " + UUID.randomUUID();
        leakABuffer(first);
        leakABuffer(second);

        List<LeakReport> leaks = new ArrayList<>();
        for (int attempt = 0; attempt < 20 && !(mentions(leaks, first) && mentions(leaks, second)); attempt++) {
            leaks.addAll(extension.detectLeaks());
        }

        assertThat(leaks).anySatisfy(leak -> assertThat(leak.records()).contains(first));
        assertThat(leaks).anySatisfy(leak -> assertThat(leak.records()).contains(second));
    }

    private static boolean mentions(List<LeakReport> leaks, String hint) {
        return leaks.stream().anyMatch(leak -> leak.records().contains(hint));
    }

    private List<LeakReport> detectUntilFound() {
        List<LeakReport> leaks = new ArrayList<>();
        for (int attempt = 0; attempt < 20 && leaks.isEmpty(); attempt++) {
            leaks.addAll(extension.detectLeaks());
        }
        return leaks;
    }

    /**
     * Allocates and drops a buffer; the unique hint keeps Netty from de-duplicating the report. Pooled, because
     * Netty does not track unpooled heap buffers (the garbage collector frees them anyway).
     */
    private static void leakABuffer(String hint) {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
        buffer.writeLong(42);
        buffer.touch(hint);
    }
}
