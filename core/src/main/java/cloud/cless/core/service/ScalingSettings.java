package cloud.cless.core.service;

import java.time.Duration;

/**
 * How a container service scales, with every default resolved: the lifecycle reads these and never a nullable
 * field of a {@link ServiceDefinition}.
 *
 * @param minInstances instances kept running (awake) even when idle
 * @param maxInstances instances at most; at this many, requests wait in the service's queue
 * @param concurrency  target of in-flight requests per instance; 0 means no limit
 * @param idleTimeout  how long an instance without in-flight requests stays before it is stopped or paused
 * @param idleAction   what happens to an instance idle for {@code idleTimeout}
 */
public record ScalingSettings(int minInstances, int maxInstances, int concurrency, Duration idleTimeout,
                              IdleAction idleAction) {

    public ScalingSettings {
        if (minInstances < 0 || maxInstances < 1 || concurrency < 0) {
            throw new IllegalArgumentException("scaling out of range: min " + minInstances + ", max " + maxInstances
                    + ", concurrency " + concurrency);
        }
        if (idleTimeout.isNegative() || idleAction == null) {
            throw new IllegalArgumentException("idle settings out of range: " + idleTimeout + ", " + idleAction);
        }
    }

    /** These settings with {@code min} instances kept running instead. */
    public ScalingSettings withMinInstances(int min) {
        return min == minInstances ? this
                : new ScalingSettings(min, maxInstances, concurrency, idleTimeout, idleAction);
    }

    /** An idle timeout no instance reaches: idle instances stay (another part scales them down). */
    public static final Duration NEVER_IDLE = Duration.ofMillis(Long.MAX_VALUE);

    /** These settings with idle instances stopped or paused after {@code timeout} instead. */
    public ScalingSettings withIdleTimeout(Duration timeout) {
        return timeout.equals(idleTimeout) ? this
                : new ScalingSettings(minInstances, maxInstances, concurrency, timeout, idleAction);
    }

    /** These settings with idle instances handled by {@code action} instead. */
    public ScalingSettings withIdleAction(IdleAction action) {
        return action == idleAction ? this
                : new ScalingSettings(minInstances, maxInstances, concurrency, idleTimeout, action);
    }

    /** True when one more in-flight request fits on an instance that has {@code inFlight} already. */
    public boolean hasRoom(int inFlight) {
        return concurrency == 0 || inFlight < concurrency;
    }
}
