package cloud.cless.core.cluster;

import java.time.Instant;

/**
 * One revision across the live replicas: requests in flight in all, the latest request any of them had, and how
 * many replicas have it; what the leader scales from.
 */
public record RevisionLoad(int inFlight, Instant lastRequestAt, int replicas) {

    RevisionLoad plus(RevisionLoad other) {
        Instant latest = other.lastRequestAt.isAfter(lastRequestAt) ? other.lastRequestAt : lastRequestAt;
        return new RevisionLoad(inFlight + other.inFlight, latest, replicas + other.replicas);
    }

    static RevisionLoad of(RevisionActivity activity) {
        return new RevisionLoad(activity.inFlight(), activity.lastRequestAt(), 1);
    }
}
