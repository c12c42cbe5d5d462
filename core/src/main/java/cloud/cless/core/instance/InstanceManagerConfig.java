package cloud.cless.core.instance;

import java.time.Duration;

/**
 * Settings of the {@link InstanceLifecycle} that are not per service.
 *
 * @param stopGraceSeconds    how long a container gets to stop before it is killed, when it is reaped or drained
 * @param maxQueuedPerService requests that may wait for a service at {@code max_instances}; 0 fails at once
 * @param queueTimeout        how long one such request waits before it fails (503)
 * @param reapInterval        how often idle instances are looked for and {@code min_instances} are topped up
 * @param surveyInterval      how often the engine is listed: containers that vanished unnoticed, failed removals
 *                            to retry, the host ports it holds, and whether it answers at all
 */
public record InstanceManagerConfig(int stopGraceSeconds, int maxQueuedPerService, Duration queueTimeout,
                                    Duration reapInterval, Duration surveyInterval) {

    public InstanceManagerConfig {
        if (stopGraceSeconds < 0) {
            throw new IllegalArgumentException("stopGraceSeconds must not be negative: " + stopGraceSeconds);
        }
        if (maxQueuedPerService < 0) {
            throw new IllegalArgumentException("maxQueuedPerService must not be negative: " + maxQueuedPerService);
        }
        for (Duration positive : new Duration[] {queueTimeout, reapInterval, surveyInterval}) {
            if (positive.isNegative() || positive.isZero()) {
                throw new IllegalArgumentException("intervals and timeouts must be positive: " + positive);
            }
        }
    }

    /** 10 s stop grace, 100 queued requests per service waiting up to 30 s, reaping every second, listing every 10 s. */
    public static InstanceManagerConfig defaults() {
        return new InstanceManagerConfig(10, 100, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(10));
    }
}
