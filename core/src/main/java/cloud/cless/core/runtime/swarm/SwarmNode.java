package cloud.cless.core.runtime.swarm;

/**
 * A node of the swarm as its manager sees it.
 *
 * @param id           the node id
 * @param hostname     the node's host name
 * @param address      the address the node is reached at (its {@code Status.Addr}): tasks publish their ports here
 * @param state        {@code ready}, {@code down}, {@code disconnected} or {@code unknown}
 * @param availability {@code active}, {@code pause} or {@code drain}
 * @param role         {@code manager} or {@code worker}
 * @param leader       true for the manager that leads the raft group
 */
public record SwarmNode(
        String id,
        String hostname,
        String address,
        String state,
        String availability,
        String role,
        boolean leader) {

    /** True when the node is up and takes new tasks. */
    public boolean schedulable() {
        return "ready".equals(state) && "active".equals(availability);
    }

    /** How errors name the node: {@code lab-n2 (10.213.57.12)}. */
    public String describe() {
        return hostname + " (" + address + ")";
    }
}
