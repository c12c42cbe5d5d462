package cloud.cless.core.runtime.swarm;

import java.util.concurrent.CompletableFuture;

/**
 * The desired replica count of a revision's Swarm service: the one number through which cless (every replica of
 * it, and the leader among them) scales a revision. Every write is a function of the count the manager holds, applied
 * with its version index and applied anew when another writer got in between, and each is safe to repeat:
 *
 * <ul>
 *   <li>{@link #atLeast}: {@code r -> max(r, n)}. A cold start is {@code atLeast(revision, 1)}: a herd of first
 *       requests spread over several replicas ends at exactly one replica, never one per request or replica.</li>
 *   <li>{@link #decrement}: {@code r -> r == seen ? seen - 1 : r}. Scale-down of one idle instance, based on the
 *       count its decision saw: when anyone changed the count since, nothing is written, so two replicas reaping
 *       the same idle instance take one task away, not two, and a scale-up under way is not undone.</li>
 *   <li>{@link #compareAndSet}: {@code r -> r == expected ? next : r}, for a decision taken from a read of
 *       {@link #desired} (the leader's, from every replica's reports).</li>
 * </ul>
 *
 * There is deliberately no {@code r -> r + 1}: repeated or concurrent, it would add a task per writer.
 */
public final class DesiredReplicas {
    private final SwarmApi swarm;

    public DesiredReplicas(SwarmApi swarm) {
        this.swarm = swarm;
    }

    /** The replicas the revision's service asks for now (not how many run). */
    public CompletableFuture<Integer> desired(String revision) {
        return swarm.service(SwarmServiceSpec.nameFor(revision)).thenApply(SwarmService::replicas);
    }

    /** Raises the replicas to {@code n} unless they are at least that already. */
    public CompletableFuture<ReplicaUpdate> atLeast(String revision, int n) {
        requireNotNegative(n, "n");
        return swarm.updateReplicas(SwarmServiceSpec.nameFor(revision), current -> Math.max(current, n));
    }

    /** Lowers the replicas by one when they are still {@code seen}; writes nothing otherwise (or at 0). */
    public CompletableFuture<ReplicaUpdate> decrement(String revision, int seen) {
        return compareAndSet(revision, seen, Math.max(0, seen - 1));
    }

    /**
     * Sets the replicas to {@code next} when they are still {@code expected}; {@link ReplicaUpdate#written()} is
     * false when they were not (or already were {@code next}), and {@link ReplicaUpdate#previous()} says what they
     * were.
     */
    public CompletableFuture<ReplicaUpdate> compareAndSet(String revision, int expected, int next) {
        requireNotNegative(expected, "expected");
        requireNotNegative(next, "next");
        return swarm.updateReplicas(SwarmServiceSpec.nameFor(revision),
                current -> current == expected ? next : current);
    }

    private static void requireNotNegative(int count, String what) {
        if (count < 0) {
            throw new IllegalArgumentException(what + " replicas cannot be negative: " + count);
        }
    }
}
