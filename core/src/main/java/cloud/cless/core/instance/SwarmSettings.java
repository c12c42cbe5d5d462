package cloud.cless.core.instance;

import cloud.cless.core.runtime.swarm.TaskPolling;
import java.time.Duration;

/**
 * Settings of the lifecycle on a Docker Swarm.
 *
 * @param polling      how often the tasks of the revisions are listed
 * @param drainTimeout how long the tasks of a revision that stopped serving may finish their requests before its
 *                     Swarm service is removed (its instances drain first in any case)
 */
public record SwarmSettings(TaskPolling polling, Duration drainTimeout) {

    public SwarmSettings {
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("the drain timeout must not be negative: " + drainTimeout);
        }
    }

    /** The default polling and a drain of {@code drainTimeout}. */
    public static SwarmSettings draining(Duration drainTimeout) {
        return new SwarmSettings(TaskPolling.defaults(), drainTimeout);
    }
}
