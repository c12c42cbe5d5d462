package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cless services create}: registers a service from a JSON file or from flags. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Registers a service, from a JSON definition (--file) or from flags.",
            "Example: cless services create --name hello --image cless-test/hello --env GREETING=hi"})
public final class ServicesCreateCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Service name (a DNS label); the default host is <name>.<domain>.")
    String name;

    @Mixin
    DefinitionInput input;

    @Override
    public Integer call() {
        input.requireFileOrFlags(name != null, "give the definition as --file FILE (- for stdin) or as flags "
                + "(--name, --image or --upstream, ...)");
        AdminClient client = admin.client();
        byte[] body;
        if (input.hasFile()) {
            body = input.readFile();
        } else {
            ObjectNode definition = admin.mapper().createObjectNode();
            if (name != null) {
                definition.put("name", name);
            }
            body = client.write(input.overlay(definition));
        }
        DefinitionOutput.print(admin, client.post(AdminClient.DEFINITIONS, body));
        return 0;
    }
}
