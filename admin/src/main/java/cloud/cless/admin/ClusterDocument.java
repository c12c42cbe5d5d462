package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.core.cluster.DatabaseLink;
import cloud.cless.core.cluster.ReplicaStatus;
import cloud.cless.core.cluster.RevisionActivity;
import cloud.cless.core.cluster.RevisionScale;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /cluster}: the replica that answers, the leader, whether the answering replica reaches the shared
 * database ({@code null} on one host, which has none), each replica with its last report, and, from the leader,
 * its last scale decisions. Times are ISO-8601.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"replica_id", "leader_id", "database", "as_of", "replicas", "scaling"})
record ClusterDocument(
        @JsonProperty("replica_id") String replicaId,
        @JsonProperty("leader_id") String leaderId,
        @JsonProperty("database") Database database,
        @JsonProperty("as_of") String asOf,
        @JsonProperty("replicas") List<Replica> replicas,
        @JsonProperty("scaling") List<Scale> scaling) {

    /** The database as this replica's parts last found it: {@code up} or {@code down}, since when, and why. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"state", "since", "failure"})
    record Database(@JsonProperty("state") String state, @JsonProperty("since") String since,
                    @JsonProperty("failure") String failure) {
        static Database of(DatabaseLink link) {
            return link == null ? null : new Database(link.up() ? "up" : "down", iso(link.since()), link.failure());
        }
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"id", "name", "address", "started_at", "reported_at", "state", "leader", "revisions"})
    record Replica(@JsonProperty("id") String id, @JsonProperty("name") String name,
                   @JsonProperty("address") String address, @JsonProperty("started_at") String startedAt,
                   @JsonProperty("reported_at") String reportedAt, @JsonProperty("state") String state,
                   @JsonProperty("leader") boolean leader,
                   @JsonProperty("revisions") Map<String, Activity> revisions) {
        static Replica of(ReplicaStatus r, String leaderId) {
            Map<String, Activity> revisions = new TreeMap<>();
            r.revisions().forEach((name, activity) -> revisions.put(name, Activity.of(activity)));
            return new Replica(r.id(), r.name(), r.address(), iso(r.startedAt()), iso(r.reportedAt()),
                    r.state().name().toLowerCase(Locale.ROOT), r.id().equals(leaderId), revisions);
        }
    }

    /** A revision on one replica: requests in flight (or waiting for an instance) and its last request. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"in_flight", "last_request_at"})
    record Activity(@JsonProperty("in_flight") int inFlight, @JsonProperty("last_request_at") String lastRequestAt) {
        static Activity of(RevisionActivity a) {
            return new Activity(a.inFlight(), iso(a.lastRequestAt()));
        }
    }

    /** One revision in the leader's last round. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"revision", "in_flight", "target", "may_scale_to_zero", "reason"})
    record Scale(@JsonProperty("revision") String revision, @JsonProperty("in_flight") int inFlight,
                 @JsonProperty("target") int target, @JsonProperty("may_scale_to_zero") boolean mayScaleToZero,
                 @JsonProperty("reason") String reason) {
        static Scale of(RevisionScale s) {
            return new Scale(s.revision(), s.inFlight(), s.target(), s.toZero().allowed(), s.toZero().reason());
        }
    }

    static ClusterDocument of(ClusterSnapshot snapshot) {
        return new ClusterDocument(snapshot.replicaId(), snapshot.leaderId(), Database.of(snapshot.database()),
                iso(snapshot.at()), snapshot.replicas().stream().map(r -> Replica.of(r, snapshot.leaderId())).toList(),
                snapshot.plan() == null ? null : snapshot.plan().revisions().stream().map(Scale::of).toList());
    }

    private static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
