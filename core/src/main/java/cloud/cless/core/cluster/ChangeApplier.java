package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies what the {@link ChangeFeed} tells to this replica's state, on a thread of its own so the feed never
 * waits on the store: changes to the same thing that pile up while one is applied are applied once, a reload of
 * everything supersedes the single changes before it, and an apply that fails (the store unreachable) turns into
 * a reload of everything, retried with {@link Backoff} until it succeeds, so that no change is lost.
 */
public final class ChangeApplier implements ChangeListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeApplier.class);

    /** What re-reads the store, e.g. the service registry; called on the applier's thread, one call at a time. */
    public interface Target {
        /** Reads everything again and makes this replica's state match it. */
        void reloadAll() throws Exception;

        /** Reads {@code change}'s thing again (it may be gone) and makes this replica's state match it. */
        void reload(Change change) throws Exception;
    }

    private final Target target;
    private final Backoff backoff;
    private final ScheduledExecutorService thread;
    private final Map<String, Change> pending = new LinkedHashMap<>();
    private boolean reloadAllPending;
    private boolean draining;
    private int failures;

    public ChangeApplier(Target target, Backoff backoff) {
        this.target = target;
        this.backoff = backoff;
        this.thread = Executors.newSingleThreadScheduledExecutor(JdbcExecutor.daemonThreads("cless-change-apply"));
    }

    @Override
    public synchronized void reloadAll() {
        reloadAllPending = true;
        pending.clear();
        drainSoon(Duration.ZERO);
    }

    @Override
    public synchronized void changed(Change change) {
        if (!reloadAllPending) {
            pending.merge(change.subject() + ":" + change.id(), change,
                    (older, newer) -> newer.sequence() > older.sequence() ? newer : older);
        }
        drainSoon(Duration.ZERO);
    }

    /** Stops applying; what is pending is dropped (the next start reloads everything anyway). */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drainSoon(Duration delay) {
        if (draining || thread.isShutdown()) {
            return;
        }
        draining = true;
        thread.schedule(this::drain, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void drain() {
        while (true) {
            boolean all;
            Change one = null;
            synchronized (this) {
                all = reloadAllPending;
                if (all) {
                    reloadAllPending = false;
                    pending.clear();
                } else {
                    Iterator<Change> next = pending.values().iterator();
                    if (!next.hasNext()) {
                        draining = false;
                        return;
                    }
                    one = next.next();
                    next.remove();
                }
            }
            try {
                if (all) {
                    target.reloadAll();
                } else {
                    target.reload(one);
                }
                failures = 0;
            } catch (Exception e) {
                retryLater(all ? "reload everything" : "apply " + one, e);
                return;
            }
        }
    }

    private synchronized void retryLater(String what, Exception e) {
        failures++;
        if (failures == 1) {
            log.warn("Cannot {} from the shared store ({}); reloading everything until it works", what,
                    DatabaseFailures.reason(e));
        }
        reloadAllPending = true;
        pending.clear();
        draining = false;
        drainSoon(backoff.delay(failures, ThreadLocalRandom.current()::nextDouble));
    }
}
