package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints {@code GET /cluster} (the admin API's JSON) for people: a summary, the replicas, the leader's decisions. */
final class ReplicaView {

    private ReplicaView() {
    }

    /**
     * The answering replica, the leader and the database on a line each; then one line per replica: ID NAME ADDRESS
     * STATE LEADER STARTED_AT REPORTED_AT IN_FLIGHT (per revision); then the leader's last decisions, if it is
     * the one asked.
     */
    static void print(JsonNode cluster, PrintWriter out) {
        String self = DefinitionView.text(cluster, "replica_id");
        String leader = DefinitionView.text(cluster, "leader_id");
        new Table(List.of())
                .row("replica", self)
                .row("leader", leader == null ? "none known" : leader + (leader.equals(self) ? " (this one)" : ""))
                .row("database", database(cluster.path("database")))
                .print(out);
        out.println();
        Table replicas = new Table(List.of("ID", "NAME", "ADDRESS", "STATE", "LEADER", "STARTED_AT", "REPORTED_AT",
                "IN_FLIGHT"));
        for (JsonNode r : cluster.path("replicas")) {
            replicas.row(DefinitionView.text(r, "id"), DefinitionView.text(r, "name"),
                    DefinitionView.text(r, "address"), DefinitionView.text(r, "state"),
                    r.path("leader").asBoolean() ? "yes" : "", DefinitionView.text(r, "started_at"),
                    DefinitionView.text(r, "reported_at"), inFlight(r.path("revisions")));
        }
        replicas.print(out);
        JsonNode scaling = cluster.path("scaling");
        if (scaling.isArray()) {
            out.println();
            Table decisions = new Table(List.of("REVISION", "IN_FLIGHT", "TARGET", "TO_ZERO", "WHY"));
            for (JsonNode s : scaling) {
                decisions.row(DefinitionView.text(s, "revision"), DefinitionView.text(s, "in_flight"),
                        DefinitionView.text(s, "target"), s.path("may_scale_to_zero").asBoolean() ? "yes" : "no",
                        DefinitionView.text(s, "reason"));
            }
            decisions.print(out);
        }
    }

    private static String database(JsonNode database) {
        if (database.isMissingNode() || database.isNull()) {
            return "none (one host)";
        }
        String failure = DefinitionView.text(database, "failure");
        return DefinitionView.text(database, "state") + " since " + DefinitionView.text(database, "since")
                + (failure == null ? "" : " (" + failure + ")");
    }

    /** {@code hello=2 api=0}, the revisions in the API's order; {@code -} when none. */
    private static String inFlight(JsonNode revisions) {
        List<String> entries = new ArrayList<>();
        revisions.fields().forEachRemaining(e -> entries.add(e.getKey() + "=" + e.getValue().path("in_flight")
                .asInt()));
        return entries.isEmpty() ? null : String.join(" ", entries);
    }
}
