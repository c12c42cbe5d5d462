package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cless services list}: every registered service, sorted by name. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the registered services.")
public final class ServicesListCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Override
    public Integer call() {
        admin.print(admin.client().get(AdminClient.DEFINITIONS), DefinitionView::printList);
        return 0;
    }
}
