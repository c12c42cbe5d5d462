package cloud.cless.core.instance;

import java.time.Duration;

/**
 * Settings of the {@link ContainerInstanceManager} that are not per service.
 *
 * @param stopGraceSeconds    how long a container gets to stop before it is killed, when it is reaped or drained
 * @param maxQueuedPerService connections that may wait for a service at {@code max_instances}; 0 fails at once
 * @param queueTimeout        how long one such connection waits before it fails (503)
 * @param reapInterval        how often idle instances are looked for and {@code min_instances} are topped up
 */
public record InstanceManagerConfig(int stopGraceSeconds, int maxQueuedPerService, Duration queueTimeout,
                                    Duration reapInterval) {

    public InstanceManagerConfig {
        if (stopGraceSeconds < 0) {
            throw new IllegalArgumentException("stopGraceSeconds must not be negative: " + stopGraceSeconds);
        }
        if (maxQueuedPerService < 0) {
            throw new IllegalArgumentException("maxQueuedPerService must not be negative: " + maxQueuedPerService);
        }
        if (queueTimeout.isNegative() || queueTimeout.isZero()) {
            throw new IllegalArgumentException("queueTimeout must be positive: " + queueTimeout);
        }
        if (reapInterval.isNegative() || reapInterval.isZero()) {
            throw new IllegalArgumentException("reapInterval must be positive: " + reapInterval);
        }
    }

    /** 10 s stop grace, 100 queued connections per service waiting up to 30 s, reaping every second. */
    public static InstanceManagerConfig defaults() {
        return new InstanceManagerConfig(10, 100, Duration.ofSeconds(30), Duration.ofSeconds(1));
    }
}
