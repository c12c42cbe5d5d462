package cloud.cless.core.cluster;

/**
 * Whose a revision's instances are, which decides what a replica cut off from the shared database may still start
 * ({@link ClusterStartGate}) and what the leader's decisions act on ({@link ClusterScaler}).
 */
public enum InstanceSharing {
    /** Each replica runs its own containers on its own engine (the docker runtime): no other replica sees them. */
    PER_REPLICA,
    /** Every replica uses the same instances (Swarm services' tasks): their count is the cluster's business. */
    SHARED
}
