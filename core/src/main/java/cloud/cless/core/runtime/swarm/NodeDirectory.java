package cloud.cless.core.runtime.swarm;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The swarm's nodes by id, for naming a task's node and address without a node request per task poll: the list is
 * read again once it is older than its time to live, or when a task names a node it lacks (at most once a second,
 * so that tasks on a node that left the swarm do not cause a read each).
 */
final class NodeDirectory {
    private static final long MISS_REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final Supplier<List<SwarmNode>> reader;
    private final long ttlNanos;
    private volatile Snapshot snapshot;

    private record Snapshot(Map<String, SwarmNode> byId, long readAtNanos) {
    }

    NodeDirectory(Supplier<List<SwarmNode>> reader, Duration ttl) {
        this.reader = reader;
        this.ttlNanos = ttl.toNanos();
    }

    /** The node with that id, or null when the swarm has none (any more). Runs on the caller's (blocking) thread. */
    SwarmNode find(String id) {
        Snapshot current = snapshot;
        long now = System.nanoTime();
        if (current != null) {
            long age = now - current.readAtNanos();
            SwarmNode node = current.byId().get(id);
            if (node != null ? age < ttlNanos : age < MISS_REFRESH_NANOS) {
                return node;
            }
        }
        refresh();
        return snapshot.byId().get(id);
    }

    /** Reads the node list now and keeps it. */
    List<SwarmNode> refresh() {
        List<SwarmNode> nodes = reader.get();
        Map<String, SwarmNode> byId = new LinkedHashMap<>();
        nodes.forEach(node -> byId.put(node.id(), node));
        snapshot = new Snapshot(Map.copyOf(byId), System.nanoTime());
        return List.copyOf(nodes);
    }
}
