package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints a service's revisions (the admin API's JSON) as a table for people. */
final class RevisionView {
    private RevisionView() {
    }

    /**
     * One line per revision, newest first: REVISION LATEST TRAFFIC TAGS INSTANCES IMAGE/UPSTREAM CREATED
     * LAST_SERVED; a revision with a percent served last "now".
     */
    static void printList(JsonNode revisions, PrintWriter out) {
        Table table = new Table(List.of("REVISION", "LATEST", "TRAFFIC", "TAGS", "INSTANCES", "IMAGE/UPSTREAM",
                "CREATED", "LAST_SERVED"));
        for (JsonNode r : revisions) {
            int percent = r.path("percent").asInt(0);
            List<String> tags = new ArrayList<>();
            r.path("tags").forEach(t -> tags.add(t.asText()));
            table.row(DefinitionView.text(r, "name"), r.path("latest").asBoolean(false) ? "yes" : null,
                    percent > 0 ? percent + "%" : null, tags.isEmpty() ? null : String.join(",", tags),
                    DefinitionView.text(r, "instances"), DefinitionView.target(r), DefinitionView.text(r, "created_at"),
                    percent > 0 ? "now" : DefinitionView.text(r, "last_served_at"));
        }
        table.print(out);
    }
}
