package cloud.cless.core.runtime.swarm;

/**
 * What a replica change did.
 *
 * @param serviceId the service's id
 * @param previous  the replicas the service had when the change was applied
 * @param replicas  the replicas it has now
 * @param version   the version index the write was based on
 * @param attempts  how many reads it took (more than one when other writers got in between)
 * @param written   false when the service had the wanted replicas already and nothing was written
 */
public record ReplicaUpdate(
        String serviceId,
        int previous,
        int replicas,
        long version,
        int attempts,
        boolean written) {
}
