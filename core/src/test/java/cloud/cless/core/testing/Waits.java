package cloud.cless.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting in a test for a condition that something else brings about, with a deadline. */
public final class Waits {
    private static final long POLL_MILLIS = 20;

    private Waits() {
    }

    /** Returns once {@code condition} holds; an AssertionError naming {@code what} when it does not within {@code timeout}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + what, e);
            }
        }
    }
}
