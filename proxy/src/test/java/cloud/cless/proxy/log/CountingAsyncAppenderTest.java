package cloud.cless.proxy.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CountingAsyncAppenderTest {
    private final LoggerContext context = new LoggerContext();

    CountingAsyncAppenderTest() {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    }

    /** An output that takes its time: it waits for {@link #open} before writing anything. */
    private static final class SlowOutput extends AppenderBase<ILoggingEvent> {
        final CountDownLatch open = new CountDownLatch(1);
        final List<String> written = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.add(event.getFormattedMessage());
        }
    }

    private CountingAsyncAppender appender(SlowOutput output, int queueSize) {
        output.setContext(context);
        output.start();
        CountingAsyncAppender appender = new CountingAsyncAppender();
        appender.setContext(context);
        appender.setName("ASYNC");
        appender.setQueueSize(queueSize);
        appender.addAppender(output);
        appender.start();
        return appender;
    }

    private LoggingEvent event(String logger, Level level, String message, Object... args) {
        return new LoggingEvent("fqcn", context.getLogger(logger), level, message, null, args);
    }

    @Test
    void keepsEveryEventWhileThereIsRoomWhateverItsLevel() throws Exception {
        SlowOutput output = new SlowOutput();
        output.open.countDown();
        CountingAsyncAppender appender = appender(output, 100);
        for (int i = 0; i < 1000; i++) {
            appender.doAppend(event("cloud.cless.access", i % 2 == 0 ? Level.INFO : Level.DEBUG, "line {}", i));
            if (i % 50 == 49) {
                assertThat(appender.awaitEmpty(10_000)).isTrue();
            }
        }
        appender.stop();
        assertThat(output.written).hasSize(1000).startsWith("line 0", "line 1");
        assertThat(appender.droppedAccessEvents()).isZero();
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingTheCaller() throws Exception {
        SlowOutput output = new SlowOutput();
        CountingAsyncAppender appender = appender(output, 10);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        LogMetrics.bind(meters, appender);
        // The writer holds one event and is stuck; ten more fit in the queue; the rest is dropped and counted.
        appender.doAppend(event("cloud.cless.access", Level.INFO, "first"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!appender.awaitEmpty(0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        for (int i = 0; i < 30; i++) {
            appender.doAppend(event("cloud.cless.access", Level.INFO, "access {}", i));
        }
        for (int i = 0; i < 5; i++) {
            appender.doAppend(event("cloud.cless.proxy.Exchange", Level.WARN, "other {}", i));
        }
        assertThat(appender.droppedAccessEvents()).isEqualTo(20);
        assertThat(appender.droppedOtherEvents()).isEqualTo(5);
        assertThat(meters.get("cless.log.events.dropped").tag("logger", "access").functionCounter().count())
                .isEqualTo(20);
        output.open.countDown();
        appender.stop();
        assertThat(output.written).hasSize(11).first().isEqualTo("first");
        assertThat(output.written).last().isEqualTo("access 9");
    }

    @Test
    void formatsTheMessageWhenLoggedNotWhenWritten() throws Exception {
        SlowOutput output = new SlowOutput();
        CountingAsyncAppender appender = appender(output, 10);
        StringBuilder mutable = new StringBuilder("before");
        appender.doAppend(event("x", Level.INFO, "value {}", mutable));
        mutable.replace(0, mutable.length(), "after");
        output.open.countDown();
        appender.stop();
        assertThat(output.written).containsExactly("value before");
    }
}
