package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cless services get NAME}: one service's definition. */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Shows one service's definition.")
public final class ServicesGetCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Override
    public Integer call() {
        JsonNode definition = admin.client().get(AdminClient.definition(name));
        DefinitionOutput.print(admin, definition);
        return 0;
    }
}
