package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;

/** Prints a service's running instances (the admin API's JSON) as a table for people. */
final class InstanceView {
    /** Container ids are shown as Docker shows them, by their first 12 characters. */
    private static final int SHORT_ID = 12;

    private InstanceView() {
    }

    /** One line per instance: ID STATE HOST_PORT CONTAINER IN_FLIGHT LAST_ACTIVITY COLD_START_MS. */
    static void printList(JsonNode instances, PrintWriter out) {
        Table table = new Table(List.of("ID", "STATE", "HOST_PORT", "CONTAINER", "IN_FLIGHT", "LAST_ACTIVITY",
                "COLD_START_MS"));
        for (JsonNode i : instances) {
            String container = DefinitionView.text(i, "container_id");
            table.row(DefinitionView.text(i, "id"), DefinitionView.text(i, "state"),
                    DefinitionView.text(i, "host_port"),
                    container == null || container.length() <= SHORT_ID ? container
                            : container.substring(0, SHORT_ID),
                    DefinitionView.text(i, "in_flight_requests"), DefinitionView.text(i, "last_activity"),
                    DefinitionView.text(i, "cold_start_ms"));
        }
        table.print(out);
    }
}
