package cloud.cless.core.cluster;

import java.util.concurrent.CompletableFuture;

/** Answers {@code GET /cluster}: the replicas, their last reports and the leader, as this replica can see them. */
public interface ClusterStatus {

    /**
     * The cluster now. Never fails: what cannot be read (the database unreachable) is left out or marked, and
     * the future completes off the caller's thread when it needs the database.
     */
    CompletableFuture<ClusterSnapshot> read();
}
