package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** Prints one definition the way the user asked: the API's JSON, or a key/value table. */
final class DefinitionOutput {
    private DefinitionOutput() {
    }

    static void print(AdminOptions admin, JsonNode definition) {
        if (admin.json()) {
            admin.printJson(definition);
        } else {
            DefinitionView.printOne(definition, admin.out());
        }
    }
}
