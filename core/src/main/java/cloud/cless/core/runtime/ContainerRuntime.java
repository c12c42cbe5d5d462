package cloud.cless.core.runtime;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Creates, starts, stops and removes containers. Every call returns at once; the engine work runs on the
 * runtime's blocking executor and the future completes there. Failures complete the future exceptionally with a
 * {@link RuntimeFailure}.
 */
public interface ContainerRuntime extends AutoCloseable {

    /** Creates (pulling the image once if it is missing) and returns the container id. */
    CompletableFuture<String> create(ContainerSpec spec);

    CompletableFuture<Void> start(String containerId);

    /** Stops with the given grace period; a container that is already stopped or gone is not an error. */
    CompletableFuture<Void> stop(String containerId, int graceSeconds);

    /** Freezes every process of a running container; it keeps its memory and its port. */
    CompletableFuture<Void> pause(String containerId);

    /** Thaws a paused container. */
    CompletableFuture<Void> unpause(String containerId);

    /** Removes, forcing a running container down; a container that is already gone is not an error. */
    CompletableFuture<Void> remove(String containerId);

    /** Every container (running or not) that carries the managed label and this installation's label. */
    CompletableFuture<List<ManagedContainer>> listManaged(String installationId);

    /** Cheap liveness check of the engine itself. */
    CompletableFuture<Void> ping();

    @Override
    void close();
}
