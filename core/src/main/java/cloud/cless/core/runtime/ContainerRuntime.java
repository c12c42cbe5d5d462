package cloud.cless.core.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Creates, starts, stops and removes containers. Every call returns at once and has a deadline; the engine work
 * runs on the runtime's own executors and the future completes there. Failures complete the future exceptionally
 * with a {@link RuntimeFailure}; an engine that does not answer in time is
 * {@link RuntimeFailure.Kind#ENGINE_UNAVAILABLE}.
 */
public interface ContainerRuntime extends AutoCloseable {

    /** Creates (pulling the image once if it is missing) and returns the container id. */
    CompletableFuture<String> create(ContainerSpec spec);

    /** Starts; a host port that something else holds is {@link RuntimeFailure.Kind#PORT_TAKEN}. */
    CompletableFuture<Void> start(String containerId);

    /** Stops with the given grace period; a container that is already stopped or gone is not an error. */
    CompletableFuture<Void> stop(String containerId, int graceSeconds);

    /** Freezes every process of a running container; it keeps its memory and its port. */
    CompletableFuture<Void> pause(String containerId);

    /** Thaws a paused container. */
    CompletableFuture<Void> unpause(String containerId);

    /**
     * Removes a container by id or name, forcing a running one down; a container that is already gone is not an
     * error.
     */
    CompletableFuture<Void> remove(String containerIdOrName);

    /**
     * Lists the engine's containers: those with the managed label and this installation's label, and the host
     * ports every container holds.
     */
    CompletableFuture<EngineSurvey> survey(String installationId);

    /**
     * Watches the managed containers of this installation: each one that dies, is OOM-killed or is removed is
     * handed to {@code listener}, on the runtime's own stream thread. The future completes when the stream ends
     * (exceptionally with a {@link RuntimeFailure} when the engine went away); cancelling it stops watching.
     * The default reports nothing and never ends, for runtimes without events (test doubles).
     */
    default CompletableFuture<Void> watch(String installationId, Consumer<ContainerEvent> listener) {
        return new CompletableFuture<>();
    }

    /** Cheap liveness check of the engine itself. */
    CompletableFuture<Void> ping();

    @Override
    void close();
}
