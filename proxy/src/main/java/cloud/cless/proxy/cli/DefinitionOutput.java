package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** Prints one definition the way the user asked: the API's JSON, or a table. */
final class DefinitionOutput {
    private DefinitionOutput() {
    }

    static void print(AdminOptions admin, JsonNode definition) {
        admin.print(definition, DefinitionView::printOne);
    }

    /** After a traffic change: the API's JSON, or the service's traffic as a table. */
    static void printTraffic(AdminOptions admin, JsonNode definition) {
        admin.print(definition, TrafficView::print);
    }
}
