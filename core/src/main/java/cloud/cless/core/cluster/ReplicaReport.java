package cloud.cless.core.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A replica's last report as the database holds it. Times are the database's clock ({@code reportedAt} is its
 * {@code now()} at the report, each revision's {@code lastRequestAt} that less how long the replica said it had
 * been idle), so replicas' clocks need not agree.
 *
 * @param revisions per revision the replica has: its activity
 */
public record ReplicaReport(String id, String name, String address, Instant startedAt, Instant reportedAt,
                            Map<String, RevisionActivity> revisions) {
    public ReplicaReport {
        revisions = Map.copyOf(revisions);
    }

    /** How old the report is at {@code now} (database clock). */
    public Duration age(Instant now) {
        Duration age = Duration.between(reportedAt, now);
        return age.isNegative() ? Duration.ZERO : age;
    }
}
