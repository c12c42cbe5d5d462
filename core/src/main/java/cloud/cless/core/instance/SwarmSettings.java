package cloud.cless.core.instance;

import cloud.cless.core.runtime.swarm.TaskPolling;
import java.time.Duration;

/**
 * Settings of the lifecycle on a Docker Swarm.
 *
 * @param polling      how often the tasks of the revisions are listed
 * @param drainTimeout how long the tasks of a revision that stopped serving may finish their requests before its
 *                     Swarm service is removed (its instances drain first in any case)
 * @param leaderScales several replicas share the swarm and one of them, the leader, scales the revisions from all
 *                     their reports: this cless asks for no more than one replica of a revision it cold-starts and
 *                     takes none away; false when this cless alone uses the swarm, and scales its revisions itself
 *                     (a start asks for as many replicas as its pool needs, an idle instance is one fewer)
 */
public record SwarmSettings(TaskPolling polling, Duration drainTimeout, boolean leaderScales) {

    public SwarmSettings {
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("the drain timeout must not be negative: " + drainTimeout);
        }
    }

    /** The default polling, a drain of {@code drainTimeout}, scaled by a leader or not. */
    public static SwarmSettings of(Duration drainTimeout, boolean leaderScales) {
        return new SwarmSettings(TaskPolling.defaults(), drainTimeout, leaderScales);
    }
}
