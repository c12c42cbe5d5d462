package cloud.cless.core.runtime.swarm;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntUnaryOperator;

/**
 * The Swarm manager's operations the instances of revisions are run with, as {@link SwarmClient} carries them out:
 * every call returns at once and completes on the client's executor, failing with a
 * {@link cloud.cless.core.runtime.RuntimeFailure} (a {@link SwarmServiceMissingException} for a service that is
 * not there). An interface so that what is built on it can be tested against a swarm kept in memory.
 */
public interface SwarmApi {

    /** Creates the service of a revision; returns its id. A service of that name existing already is refused. */
    CompletableFuture<String> createService(SwarmServiceSpec spec);

    /** The service of that name, with its version index and replicas. */
    CompletableFuture<SwarmService> service(String name);

    /**
     * Sets the replicas of a service to {@code change.applyAsInt(current)}, based on the version index it read,
     * reading again and applying {@code change} anew when another writer got in between.
     */
    CompletableFuture<ReplicaUpdate> updateReplicas(String name, IntUnaryOperator change);

    /** Every task the manager keeps of one service, with node and published port. */
    CompletableFuture<List<SwarmTask>> tasks(String name);

    /** Every task of every service of this installation, in one listing. */
    CompletableFuture<List<SwarmTask>> installationTasks(String installationId);

    /** Removes the service and its tasks; a service that is already gone is not an error. */
    CompletableFuture<Void> removeService(String name);

    /** Every service labelled as managed by cless for this installation. */
    CompletableFuture<List<SwarmService>> listManaged(String installationId);

    /** Cheap check that the engine answers as a manager of a swarm. */
    CompletableFuture<Void> ping();
}
