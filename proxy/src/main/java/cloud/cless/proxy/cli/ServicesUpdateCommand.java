package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code cless services update NAME}: replaces a definition with a JSON file, or changes only the fields given as
 * flags (the current definition is read first, so every other field keeps its value).
 */
@Command(name = "update", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Updates a service: --file replaces its definition; flags change only the fields they name.",
            "Running instances of the old definition finish their connections, then stop.",
            "Example: cless services update hello --env GREETING=hello --max-instances 3"})
public final class ServicesUpdateCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Mixin
    DefinitionInput input;

    @Override
    public Integer call() {
        input.requireFileOrFlags(false, "give the new definition as --file FILE (- for stdin) or as flags to change "
                + "(--image, --env, --max-instances, ...)");
        AdminClient client = admin.client();
        String path = AdminClient.definition(name);
        byte[] body;
        if (input.hasFile()) {
            body = input.readFile();
        } else {
            JsonNode current = client.get(path);
            if (!(current instanceof ObjectNode definition)) {
                throw new AdminClientException("the admin API answered GET " + path + " with something that is "
                        + "not a definition");
            }
            body = client.write(input.overlay(definition));
        }
        DefinitionOutput.print(admin, client.put(path, body));
        return 0;
    }
}
