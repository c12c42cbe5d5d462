package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/** Fails a test when Netty's leak detector reports a ByteBuf that was never released. */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
    private final List<String> leaks = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().contains("LEAK:")) {
                leaks.add(event.getFormattedMessage());
            }
        }
    };

    @Override
    public void beforeEach(ExtensionContext context) {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        appender.start();
        logger().addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        try {
            // Leaks are reported when a tracked buffer is allocated after the leaked one was collected.
            for (int round = 0; round < 5 && leaks.isEmpty(); round++) {
                System.gc();
                Thread.sleep(50);
                for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
                    ByteBuf probe = alloc.directBuffer(1);
                    probe.release();
                    probe = alloc.heapBuffer(1);
                    probe.release();
                }
            }
            assertThat(leaks).as("ByteBuf leaks").isEmpty();
        } finally {
            logger().detachAppender(appender);
            appender.stop();
        }
    }

    private static Logger logger() {
        return (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    }
}
