package cloud.cless.core.instance;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-flight requests of one instance for as long as it takes leases without a pause in between (an "epoch":
 * a paused and resumed instance gets a new one), counted without a lock.
 *
 * <p>One atomic word holds the count and a closed bit. A lease is taken by a compare-and-set that fails once the
 * bit is set or the count is at the service's concurrency; reaping or pausing closes only an idle epoch, by one
 * compare-and-set from 0 to closed. So a request either got its lease before the close, and the close fails, or it
 * sees the epoch closed and goes elsewhere: never both. Draining closes a busy epoch; the release that takes its
 * count to zero is told so, exactly once.
 */
final class InFlight {
    private static final int CLOSED = 1 << 30;
    private static final int COUNT = CLOSED - 1;

    final Instance instance;
    private final AtomicInteger word;
    /** Completes once the epoch is closed for good: connections kept idle to the instance should then close. */
    private final CompletableFuture<Void> retired = new CompletableFuture<>();

    InFlight(Instance instance, int initialCount) {
        this.instance = instance;
        this.word = new AtomicInteger(initialCount);
    }

    /** Takes a lease unless the epoch is closed or {@code concurrency} (0: no limit) are in flight. */
    boolean tryAcquire(int concurrency) {
        while (true) {
            int current = word.get();
            if ((current & CLOSED) != 0 || concurrency > 0 && current >= concurrency) {
                return false;
            }
            if (word.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Ends one lease; true when it was the last one of a closed epoch (the instance is drained now). */
    boolean release() {
        return word.decrementAndGet() == CLOSED;
    }

    /** Closes the epoch if nothing is in flight; false when a lease got there first. */
    boolean closeIfIdle() {
        return word.compareAndSet(0, CLOSED);
    }

    /** Undoes a {@link #closeIfIdle()} whose reason went away before anyone was told. */
    void reopen() {
        word.compareAndSet(CLOSED, 0);
    }

    /**
     * Closes the epoch whatever is in flight. Returns how many requests were in flight then (0: drained already),
     * or -1 when it was closed before this call.
     */
    int close() {
        int before = word.getAndUpdate(current -> current | CLOSED);
        return (before & CLOSED) != 0 ? -1 : before & COUNT;
    }

    boolean isClosed() {
        return (word.get() & CLOSED) != 0;
    }

    /** Requests in flight now. */
    int count() {
        return word.get() & COUNT;
    }

    /** Requests in flight, or -1 once closed: how placement sees the instance. */
    int load() {
        int current = word.get();
        return (current & CLOSED) != 0 ? -1 : current;
    }

    CompletableFuture<Void> retired() {
        return retired;
    }
}
