package cloud.cless.core.cluster;

import java.time.Duration;

/**
 * Decides, for the leader, whether a revision may scale to zero: only when every live replica has reported it
 * idle for at least its idle timeout. A stale replica (silent, not yet declared dead) may be serving it right
 * now, so it blocks the decision until it reports again or is declared dead. Pure: no clock, no database.
 */
public final class ScaleToZeroPolicy {

    private ScaleToZeroPolicy() {
    }

    public static ScaleToZeroDecision decide(ClusterView view, String revision, Duration idleTimeout) {
        if (!view.stale().isEmpty()) {
            ReplicaReport silent = view.stale().get(0);
            return ScaleToZeroDecision.refuse("replica " + silent.id() + " last reported "
                    + silent.age(view.now()).toSeconds() + " s ago: waiting until it reports or is declared dead");
        }
        if (view.live().isEmpty()) {
            return ScaleToZeroDecision.refuse("no replica has reported lately");
        }
        for (ReplicaReport replica : view.live()) {
            RevisionActivity activity = replica.revisions().get(revision);
            if (activity == null) {
                continue; // it has never had a request for this revision
            }
            if (activity.inFlight() > 0) {
                return ScaleToZeroDecision.refuse("replica " + replica.id() + " has " + activity.inFlight()
                        + " request(s) of " + revision + " in flight");
            }
            Duration idle = Duration.between(activity.lastRequestAt(), view.now());
            if (idle.compareTo(idleTimeout) < 0) {
                return ScaleToZeroDecision.refuse("replica " + replica.id() + " had a request of " + revision + " "
                        + idle.toSeconds() + " s ago (idle timeout " + idleTimeout.toSeconds() + " s)");
            }
        }
        return ScaleToZeroDecision.allow("every live replica has been idle on " + revision + " for at least "
                + idleTimeout.toSeconds() + " s");
    }
}
