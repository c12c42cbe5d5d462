package cloud.cless.core.instance;

import java.time.Instant;

/**
 * What one pool of this replica has now, for the cluster's scale decisions: its requests in flight (leased, or
 * waiting for an instance: both are demand), and when a request last began, ended or relayed bytes on one of its
 * instances (the end of the last request once nothing is in flight).
 */
public record PoolActivity(int inFlight, Instant lastActivity) {
    public PoolActivity {
        if (inFlight < 0) {
            throw new IllegalArgumentException("in-flight requests cannot be negative: " + inFlight);
        }
    }

    /** Both pools' requests, the later activity: a key served by an active and a leaving pool at once. */
    PoolActivity plus(PoolActivity other) {
        return new PoolActivity(inFlight + other.inFlight,
                other.lastActivity.isAfter(lastActivity) ? other.lastActivity : lastActivity);
    }
}
