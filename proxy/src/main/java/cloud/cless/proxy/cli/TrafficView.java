package cloud.cless.proxy.cli;

import cloud.cless.core.service.TagHost;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;

/** Prints a service's traffic (from the admin API's definition JSON) for people. */
final class TrafficView {
    private TrafficView() {
    }

    /**
     * One line per entry: TARGET REVISION PERCENT TAG HOST, where a {@code latest} entry shows the revision it
     * reaches now and a tag the host that reaches it whatever the percents.
     */
    static void print(JsonNode definition, PrintWriter out) {
        Table table = new Table(List.of("TARGET", "REVISION", "PERCENT", "TAG", "HOST"));
        String latest = DefinitionView.text(definition, "latest_revision");
        String host = DefinitionView.text(definition, "host");
        for (JsonNode entry : definition.path("traffic")) {
            boolean isLatest = entry.path("latest").asBoolean(false);
            String tag = DefinitionView.text(entry, "tag");
            table.row(isLatest ? "latest" : DefinitionView.text(entry, "revision"),
                    isLatest ? latest : DefinitionView.text(entry, "revision"),
                    entry.path("percent").asInt(0) + "%", tag,
                    tag == null || host == null ? null : TagHost.of(tag, host));
        }
        table.print(out);
    }

    /** One entry in the form {@code cless traffic} takes: {@code latest=100%}, {@code hello-00001=0% tag=old}. */
    static String describe(JsonNode entry) {
        String target = entry.path("latest").asBoolean(false) ? "latest" : DefinitionView.text(entry, "revision");
        String tag = DefinitionView.text(entry, "tag");
        return target + "=" + entry.path("percent").asInt(0) + "%" + (tag == null ? "" : " tag=" + tag);
    }
}
