package cloud.cless.proxy.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes log events on a thread of its own, so that an event loop never waits on a slow terminal or disk, and
 * never loses an event silently. Events wait in a bounded queue for the worker, which hands them to the attached
 * appenders in order; when the queue is full the event is dropped and counted (access log lines apart from the
 * rest), and {@link LogMetrics} publishes the counts. Unlike logback's AsyncAppender it never throws INFO events
 * away while there is room, so the access log is whole as long as its output keeps up.
 */
public final class CountingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {
    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private final LongAdder droppedAccess = new LongAdder();
    private final LongAdder droppedOther = new LongAdder();
    private int queueSize = 8192;
    private int maxFlushMillis = 2000;
    private String accessLogger = "cloud.cless.access";
    private BlockingQueue<ILoggingEvent> queue;
    private Thread worker;

    /** Events that may wait for the worker (logback configuration). */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long {@link #stop()} waits for the queued events to be written. */
    public void setMaxFlushTime(int millis) {
        this.maxFlushMillis = millis;
    }

    /** The logger whose dropped events are counted as access log lines. */
    public void setAccessLogger(String name) {
        this.accessLogger = name;
    }

    /** Access log lines dropped because the queue was full. */
    public long droppedAccessEvents() {
        return droppedAccess.sum();
    }

    /** Other events dropped because the queue was full. */
    public long droppedOtherEvents() {
        return droppedOther.sum();
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (queueSize < 1) {
            addError("queueSize must be positive, was " + queueSize);
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        worker = new Thread(this::drain, "cless-log-" + getName());
        worker.setDaemon(true);
        super.start();
        worker.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        // The message is formatted here, while its arguments are still as they were.
        event.prepareForDeferredProcessing();
        if (!queue.offer(event)) {
            (accessLogger.equals(event.getLoggerName()) ? droppedAccess : droppedOther).increment();
        }
    }

    private void drain() {
        try {
            while (isStarted()) {
                appenders.appendLoopOnAppenders(queue.take());
            }
        } catch (InterruptedException stopping) {
            // stop() asked: write what is queued, below
        }
        ILoggingEvent event;
        while ((event = queue.poll()) != null) {
            appenders.appendLoopOnAppenders(event);
        }
    }

    /** Stops taking events, writes those queued (for at most the flush time), then stops the attached appenders. */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        worker.interrupt();
        try {
            worker.join(maxFlushMillis);
            if (worker.isAlive()) {
                addWarn("gave up after " + maxFlushMillis + " ms with " + queue.size() + " events not written");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> appender) {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }

    /** Waits until the worker wrote everything queued so far, for tests; false after {@code millis}. */
    boolean awaitEmpty(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!queue.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return queue.isEmpty();
    }
}
