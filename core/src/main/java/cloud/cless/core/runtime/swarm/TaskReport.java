package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.RuntimeFailure;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What became of one task of a revision's Swarm service, seen from the polls of its tasks: an instance (task id =
 * instance id; a task that Swarm restarts is a new task, so a new instance) starting, running at an address (a
 * candidate to probe: ready once it answers), draining (Swarm takes it down: route nothing new to it), gone, or
 * failed before it ever ran.
 *
 * @param kind       what happened
 * @param revision   the revision whose service the task belongs to
 * @param instanceId the task id
 * @param address    where it serves (its node's address and its published port); null unless {@code RUNNING}
 * @param task       the task as last listed, or null when it vanished from the listing
 * @param failure    for {@code FAILED}: why, naming the image and the node ({@link RuntimeFailure.Kind#IMAGE_NOT_FOUND}
 *                   for an image the node does not have); null otherwise
 */
public record TaskReport(Kind kind, String revision, String instanceId, InetSocketAddress address, SwarmTask task,
                         RuntimeFailure failure) {

    /** The steps of a task's life that the lifecycle acts on. */
    public enum Kind {
        /** Scheduled or being prepared: not reachable yet. */
        STARTING,
        /** Running and meant to keep running, at {@link #address()}: probe it. */
        RUNNING,
        /** Swarm is taking it down (it picked it on a scale-down, or the service goes): no new requests. */
        DRAINING,
        /** Ended, or no longer listed. */
        GONE,
        /** Ended badly before it ever ran (a missing image, a node that refused it, a crash while starting). */
        FAILED
    }

    public TaskReport {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(instanceId, "instanceId");
        if ((kind == Kind.RUNNING) != (address != null)) {
            throw new IllegalArgumentException("a RUNNING report, and only that, has an address: " + kind);
        }
        if ((kind == Kind.FAILED) != (failure != null)) {
            throw new IllegalArgumentException("a FAILED report, and only that, has a failure: " + kind);
        }
    }

    static TaskReport of(Kind kind, String revision, SwarmTask task) {
        return new TaskReport(kind, revision, task.id(), null, task, null);
    }

    static TaskReport running(String revision, SwarmTask task, InetSocketAddress address) {
        return new TaskReport(Kind.RUNNING, revision, task.id(), address, task, null);
    }

    static TaskReport vanished(String revision, String taskId) {
        return new TaskReport(Kind.GONE, revision, taskId, null, null, null);
    }

    /** A task that failed before it ran: the failure names the image and the node, and says what the node said. */
    static TaskReport failed(String revision, SwarmTask task) {
        String node = task.node() != null ? task.node().describe() : task.nodeId() != null ? task.nodeId() : null;
        String where = node != null ? " on node " + node : " before a node took it";
        String said = task.error() != null ? task.error() : task.message();
        RuntimeFailure failure = task.imageMissing()
                ? new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND, "image " + task.image() + " is missing"
                        + where + " of the swarm (" + said + "; task " + task.id() + " " + task.state().apiName()
                        + ")", null)
                : new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "task " + task.id() + " of image "
                        + task.image() + where + " " + task.state().apiName() + (said == null ? "" : ": " + said),
                        null);
        return new TaskReport(Kind.FAILED, revision, task.id(), null, task, failure);
    }
}
