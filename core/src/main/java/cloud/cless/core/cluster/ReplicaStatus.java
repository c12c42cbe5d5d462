package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.Map;

/**
 * One replica as {@code GET /cluster} shows it: who it is, its last report and what that said.
 *
 * @param reportedAt when its last report reached the database (the database's clock); null when it has none
 * @param state live (reported lately), stale (silent, not yet declared dead), or unreported (this replica when
 *     its report is not in the database: just started, or the database unreachable)
 * @param revisions per revision: its requests in flight and its last request
 */
public record ReplicaStatus(String id, String name, String address, Instant startedAt, Instant reportedAt,
                            State state, Map<String, RevisionActivity> revisions) {

    public enum State { LIVE, STALE, UNREPORTED }

    public ReplicaStatus {
        revisions = Map.copyOf(revisions);
    }

    static ReplicaStatus of(ReplicaReport report, State state) {
        return new ReplicaStatus(report.id(), report.name(), report.address(), report.startedAt(),
                report.reportedAt(), state, report.revisions());
    }

    /** This replica from what it knows itself, with nothing in the database. */
    static ReplicaStatus unreported(ReplicaIdentity self, Map<String, RevisionActivity> revisions) {
        return new ReplicaStatus(self.id(), self.name(), self.address(), self.startedAt(), null, State.UNREPORTED,
                revisions);
    }
}
