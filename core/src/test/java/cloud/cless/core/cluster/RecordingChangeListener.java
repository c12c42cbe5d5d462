package cloud.cless.core.cluster;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records what the change feed tells it: {@link #RELOAD} or the {@link Change}, in order. */
final class RecordingChangeListener implements ChangeListener {
    static final String RELOAD = "reload all";

    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    @Override
    public void reloadAll() {
        events.add(RELOAD);
    }

    @Override
    public void changed(Change change) {
        events.add(change);
    }

    /** The next event, failing when none comes within {@code timeout}. */
    Object next(Duration timeout) throws InterruptedException {
        Object event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (event == null) {
            throw new AssertionError("the change feed told nothing within " + timeout.toMillis() + " ms");
        }
        return event;
    }
}
