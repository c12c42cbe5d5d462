package cloud.cless.core.instance;

/**
 * How long one service's top-up to {@code min_instances} waits after a failed start: a start that failed once
 * likely fails again, so it backs off from 1 s, doubling to 30 s, instead of failing every tick. A start that
 * succeeds resets it. Guarded by the pool's lock.
 */
final class StartBackoff {
    static final long FIRST_MILLIS = 1_000;
    static final long MAX_MILLIS = 30_000;

    private long delayMillis;
    private long notBeforeMillis;

    void failed(long nowMillis) {
        delayMillis = delayMillis == 0 ? FIRST_MILLIS : Math.min(delayMillis * 2, MAX_MILLIS);
        notBeforeMillis = nowMillis + delayMillis;
    }

    void succeeded() {
        delayMillis = 0;
        notBeforeMillis = 0;
    }

    /** No top-up start before this time. */
    long notBeforeMillis() {
        return notBeforeMillis;
    }
}
