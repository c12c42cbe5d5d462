package cloud.cless.core.instance;

import java.time.Instant;

/**
 * A snapshot of one instance, for the admin API.
 *
 * @param id               cless instance id
 * @param service          service name
 * @param containerId      engine container id, null for an upstream or before the container exists
 * @param hostPort         host port on 127.0.0.1
 * @param state            lifecycle state
 * @param startedAt        when the start began
 * @param readyAt          when it became ready, null before
 * @param coldStartMillis  start-to-ready time, -1 before ready
 * @param inFlightRequests requests it serves now (an upgraded connection counts as one long request)
 * @param lastActivity     when a request last began, ended or relayed bytes
 * @param revision         the revision it runs ({@code hello-00002}); the lifecycle always says, test doubles may not
 */
public record InstanceInfo(
        String id,
        String service,
        String containerId,
        int hostPort,
        InstanceState state,
        Instant startedAt,
        Instant readyAt,
        long coldStartMillis,
        int inFlightRequests,
        Instant lastActivity,
        String revision) {

    /** An instance whose revision is not known. */
    public InstanceInfo(String id, String service, String containerId, int hostPort, InstanceState state,
                        Instant startedAt, Instant readyAt, long coldStartMillis, int inFlightRequests,
                        Instant lastActivity) {
        this(id, service, containerId, hostPort, state, startedAt, readyAt, coldStartMillis, inFlightRequests,
                lastActivity, null);
    }
}
