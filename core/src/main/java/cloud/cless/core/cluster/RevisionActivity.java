package cloud.cless.core.cluster;

import cloud.cless.core.instance.PoolActivity;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one replica has of one revision: its requests in flight now, and when it last had one (the end of the
 * last request, or now while one is in flight).
 */
public record RevisionActivity(int inFlight, Instant lastRequestAt) {
    public RevisionActivity {
        if (inFlight < 0) {
            throw new IllegalArgumentException("in-flight requests cannot be negative: " + inFlight);
        }
    }

    /** What this replica's lifecycle has of each revision now, as its report carries it. */
    public static Map<String, RevisionActivity> of(Map<String, PoolActivity> pools) {
        Map<String, RevisionActivity> activity = new TreeMap<>();
        pools.forEach((key, pool) -> activity.put(key, new RevisionActivity(pool.inFlight(), pool.lastActivity())));
        return activity;
    }
}
