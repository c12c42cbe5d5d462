package cloud.cless.core.runtime.swarm;

import java.time.Instant;

/** Tasks as a manager would list them, for unit tests: a node, and a task in each state of interest. */
public final class SwarmTasks {
    public static final SwarmNode NODE = new SwarmNode("node1", "lab-n1", "10.214.9.11", "ready", "active", "manager",
            true);

    /** A node on this machine's loopback, whose "tasks" are servers a test runs there. */
    public static final SwarmNode LOOPBACK = new SwarmNode("node-lo", "lab-lo", "127.0.0.1", "ready", "active",
            "manager", true);

    private SwarmTasks() {
    }

    /** A task running on {@link #LOOPBACK}, published on {@code port}. */
    public static SwarmTask runningOnLoopback(String id, String serviceId, int port) {
        return on(LOOPBACK, id, serviceId, SwarmTaskState.RUNNING, SwarmTaskState.RUNNING, port);
    }

    /** A task on {@link #LOOPBACK} that Swarm picked to go, still running. */
    public static SwarmTask shuttingDownOnLoopback(String id, String serviceId, int port) {
        return on(LOOPBACK, id, serviceId, SwarmTaskState.REMOVE, SwarmTaskState.RUNNING, port);
    }

    private static SwarmTask on(SwarmNode node, String id, String serviceId, SwarmTaskState desired,
                                SwarmTaskState state, int port) {
        return new SwarmTask(id, serviceId, 1, "cless-test/hello:latest", node.id(), node, desired, state,
                state.apiName(), null, "c-" + id, port, Instant.EPOCH, Instant.EPOCH);
    }

    public static SwarmTask starting(String id, String serviceId) {
        return task(id, serviceId, SwarmTaskState.RUNNING, SwarmTaskState.PREPARING, null, -1);
    }

    public static SwarmTask running(String id, String serviceId, int port) {
        return task(id, serviceId, SwarmTaskState.RUNNING, SwarmTaskState.RUNNING, null, port);
    }

    /** Running still, but Swarm picked it to go (a scale-down). */
    public static SwarmTask shuttingDown(String id, String serviceId, int port) {
        return task(id, serviceId, SwarmTaskState.SHUTDOWN, SwarmTaskState.RUNNING, null, port);
    }

    public static SwarmTask ended(String id, String serviceId) {
        return task(id, serviceId, SwarmTaskState.SHUTDOWN, SwarmTaskState.SHUTDOWN, null, -1);
    }

    public static SwarmTask rejected(String id, String serviceId, String image) {
        return new SwarmTask(id, serviceId, 1, image, NODE.id(), NODE, SwarmTaskState.SHUTDOWN,
                SwarmTaskState.REJECTED, "preparing", "No such image: " + image, null, -1, Instant.EPOCH,
                Instant.EPOCH);
    }

    public static SwarmTask task(String id, String serviceId, SwarmTaskState desired, SwarmTaskState state,
                                 String error, int port) {
        return new SwarmTask(id, serviceId, 1, "cless-test/hello:latest", NODE.id(), NODE, desired, state,
                state.apiName(), error, state == SwarmTaskState.RUNNING ? "c-" + id : null, port, Instant.EPOCH,
                Instant.EPOCH);
    }
}
