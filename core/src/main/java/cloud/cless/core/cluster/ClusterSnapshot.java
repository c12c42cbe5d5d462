package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The cluster as one replica sees it now, for {@code GET /cluster}.
 *
 * @param replicaId the replica that answers
 * @param leaderId the replica that leads, as the database says; on one host the only one; null when unknown (no
 *     leader at the moment, or the database unreachable)
 * @param database whether this replica reaches the shared database; null on one host, where there is none
 * @param at the time of the view (the database's clock when it came from there)
 * @param replicas by id
 * @param plan this replica's last scale decisions while it leads; null otherwise
 */
public record ClusterSnapshot(String replicaId, String leaderId, DatabaseLink database, Instant at,
                              List<ReplicaStatus> replicas, ScalePlan plan) {
    public ClusterSnapshot {
        replicas = List.copyOf(replicas);
    }

    public Optional<ReplicaStatus> replica(String id) {
        return replicas.stream().filter(r -> r.id().equals(id)).findFirst();
    }
}
