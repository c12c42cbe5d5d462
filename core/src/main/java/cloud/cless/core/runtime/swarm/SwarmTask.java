package cloud.cless.core.runtime.swarm;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * One task of a Swarm service, as its manager last heard of it: one instance of a revision.
 *
 * @param id            the task id
 * @param serviceId     the id of its service
 * @param slot          its replica slot (1..replicas); a restarted task takes over the slot of the one it replaces
 * @param image         the image it runs
 * @param nodeId        the node it was scheduled on, or null while it waits for one
 * @param node          that node, or null when it is not (or no longer) known
 * @param desiredState  what the orchestrator wants ({@code running}, or {@code shutdown} once it is to go)
 * @param state         what the node reported last
 * @param message       the node's word on the state ({@code started}, {@code preparing}, ...)
 * @param error         why it failed or was rejected, or null
 * @param containerId   its container on the node, or null before there is one
 * @param publishedPort the host port its container port is published on, on the node's address; -1 until known
 * @param createdAt     when the orchestrator made it
 * @param updatedAt     when its state last changed
 */
public record SwarmTask(
        String id,
        String serviceId,
        int slot,
        String image,
        String nodeId,
        SwarmNode node,
        SwarmTaskState desiredState,
        SwarmTaskState state,
        String message,
        String error,
        String containerId,
        int publishedPort,
        Instant createdAt,
        Instant updatedAt) {

    /** True when it runs and is meant to keep running: an instance cless may route to once it answers. */
    public boolean isRunning() {
        return state == SwarmTaskState.RUNNING && desiredState == SwarmTaskState.RUNNING;
    }

    /** True while the orchestrator still wants it up (it may not have started yet). */
    public boolean isWanted() {
        return desiredState.compareTo(SwarmTaskState.RUNNING) <= 0 && !state.isTerminal();
    }

    /** Where to reach it: its node's address and its published port, once both are known. */
    public Optional<InetSocketAddress> address() {
        if (node == null || node.address() == null || node.address().isBlank() || publishedPort <= 0) {
            return Optional.empty();
        }
        // Status.Addr is an IP literal: this parses it, it does not look anything up.
        return Optional.of(new InetSocketAddress(node.address(), publishedPort));
    }

    /** True when its node refused it because the image is not there (and could not be pulled). */
    public boolean imageMissing() {
        return state.isFailure() && error != null && error.startsWith("No such image");
    }

    /**
     * What happened to it, naming the task, image and node:
     * {@code task 4ueb... (slot 1, image cless-test/missing:latest) on node lab-n2 (10.213.57.12): rejected: No such image: ...}.
     */
    public String describe() {
        String where = node != null ? node.describe() : nodeId != null ? nodeId : "no node yet";
        String what = error != null && !error.isBlank() ? error : message;
        return "task " + id + " (slot " + slot + ", image " + image + ") on node " + where + ": "
                + state.apiName() + (what == null || what.isBlank() ? "" : ": " + what);
    }
}
