package cloud.cless.proxy.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/** Publishes {@code cless_log_events_dropped_total{logger}}: what the log's {@link CountingAsyncAppender}s dropped. */
public final class LogMetrics {
    private LogMetrics() {
    }

    /**
     * Binds the counts of every such appender on the root logger; does nothing when logback is not the log (it may
     * be absent from the classpath, as in the benchmarks' jar: its classes are touched only when it is there).
     */
    public static void bind(MeterRegistry registry) {
        Object factory = LoggerFactory.getILoggerFactory();
        if ("ch.qos.logback.classic.LoggerContext".equals(factory.getClass().getName())) {
            bindAppenders(registry, factory);
        }
    }

    private static void bindAppenders(MeterRegistry registry, Object factory) {
        Logger root = ((LoggerContext) factory).getLogger(Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof CountingAsyncAppender appender) {
                bind(registry, appender);
            }
        }
    }

    static void bind(MeterRegistry registry, CountingAsyncAppender appender) {
        FunctionCounter.builder("cless.log.events.dropped", appender, CountingAsyncAppender::droppedAccessEvents)
                .description("Log events dropped because the log's output did not keep up (its queue was full)")
                .tags("logger", "access", "appender", appender.getName())
                .register(registry);
        FunctionCounter.builder("cless.log.events.dropped", appender, CountingAsyncAppender::droppedOtherEvents)
                .description("Log events dropped because the log's output did not keep up (its queue was full)")
                .tags("logger", "other", "appender", appender.getName())
                .register(registry);
    }
}
