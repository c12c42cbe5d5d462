package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cless services delete NAME}: removes a service; its containers drain and are removed. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Deletes a service; its running instances finish their connections, then are removed.")
public final class ServicesDeleteCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Override
    public Integer call() {
        admin.client().delete(AdminClient.definition(name));
        if (!admin.json()) {
            // The API answers 204 without a body; with --json nothing is printed, the exit code says it.
            admin.out().println("deleted service " + name);
            admin.out().flush();
        }
        return 0;
    }
}
