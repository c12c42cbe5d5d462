package cloud.cless.core.cluster;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Delays between attempts to reach the database again: doubling from {@code initial} up to {@code max}, each
 * drawn between half and all of that (so replicas cut off together do not come back in lockstep).
 */
public record Backoff(Duration initial, Duration max) {
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, not " + initial + ", " + max);
        }
    }

    /**
     * The delay before attempt {@code failures + 1} after {@code failures} failed ones in a row (from 1).
     *
     * @param random a uniform number in [0, 1)
     */
    public Duration delay(int failures, DoubleSupplier random) {
        long ceiling = initial.toNanos();
        for (int i = 1; i < failures && ceiling < max.toNanos(); i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, max.toNanos());
        long half = ceiling / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (ceiling - half)));
    }
}
