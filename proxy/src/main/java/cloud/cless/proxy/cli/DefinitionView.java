package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Prints service definitions (the admin API's JSON) as tables for people. */
final class DefinitionView {
    private DefinitionView() {
    }

    /** One line per service: NAME HOST IMAGE/UPSTREAM PORT MIN MAX CONCURRENCY IDLE. */
    static void printList(JsonNode definitions, PrintWriter out) {
        Table table = new Table(List.of("NAME", "HOST", "IMAGE/UPSTREAM", "PORT", "MIN", "MAX", "CONCURRENCY",
                "IDLE"));
        for (JsonNode d : definitions) {
            String idle = text(d, "idle_timeout_seconds");
            table.row(text(d, "name"), text(d, "host"), target(d), text(d, "port"), text(d, "min_instances"),
                    text(d, "max_instances"), text(d, "concurrency"), idle == null ? null : idle + "s");
        }
        table.print(out);
    }

    /** One line per field of one definition, in the API's order; each env and traffic entry on its own line. */
    static void printOne(JsonNode definition, PrintWriter out) {
        Table table = new Table(List.of());
        Iterator<Map.Entry<String, JsonNode>> fields = definition.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isObject() || value.isArray()) {
                List<String> entries = new ArrayList<>();
                if (value.isArray()) {
                    value.forEach(e -> entries.add(e.isObject() ? TrafficView.describe(e) : e.asText()));
                } else {
                    value.fields().forEachRemaining(e -> entries.add(e.getKey() + "=" + e.getValue().asText()));
                }
                if (entries.isEmpty()) {
                    table.row(field.getKey(), null);
                }
                for (int i = 0; i < entries.size(); i++) {
                    table.row(i == 0 ? field.getKey() : "", entries.get(i));
                }
            } else {
                table.row(field.getKey(), value.isNull() ? null : value.asText());
            }
        }
        table.print(out);
    }

    /** The upstream, or {@code image:tag}, of a definition or a revision. */
    static String target(JsonNode d) {
        String upstream = text(d, "upstream");
        if (upstream != null) {
            return upstream;
        }
        String image = text(d, "image_name");
        String tag = text(d, "image_tag");
        return image == null ? null : tag == null ? image : image + ":" + tag;
    }

    /** The field as text, or null when it is missing or JSON null. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
