package cloud.cless.core.runtime.swarm;

import java.time.Duration;

/**
 * How often the tasks of revisions are listed. Swarm has no task events: a cold start is as quick as the poll that
 * finds its task running, so the tasks of a revision that waits for one are listed every {@code fast} (one request
 * for that service); all others together every {@code slow} (one request for the whole installation).
 *
 * @param fast              interval while a start, a scale-down's pick or a new task is awaited
 * @param slow              interval otherwise: tasks that end, or that another replica or the leader asked for
 * @param serviceIdsRefresh at most this often the services are listed again, when tasks of an unknown service
 *                          appear (a service another replica made anew)
 */
public record TaskPolling(Duration fast, Duration slow, Duration serviceIdsRefresh) {

    public TaskPolling {
        for (Duration interval : new Duration[] {fast, slow, serviceIdsRefresh}) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("poll intervals must be positive: " + interval);
            }
        }
        if (fast.compareTo(slow) > 0) {
            throw new IllegalArgumentException("the fast interval " + fast + " is longer than the slow one " + slow);
        }
    }

    /**
     * 15 ms while something is awaited (a task on a single-node swarm runs about 500 ms after the scale; a listing
     * takes a few ms), 1 s otherwise, service ids again at most every 5 s.
     */
    public static TaskPolling defaults() {
        return new TaskPolling(Duration.ofMillis(15), Duration.ofSeconds(1), Duration.ofSeconds(5));
    }
}
