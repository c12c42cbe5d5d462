package cloud.cless.core.cluster;

import java.time.Instant;

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
}
