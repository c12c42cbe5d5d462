package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cless instances NAME}: the running instances of a service. */
@Command(name = "instances", mixinStandardHelpOptions = true,
        description = "Lists the running instances of a service.")
public final class InstancesCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Override
    public Integer call() {
        admin.print(admin.client().get(AdminClient.definition(name) + "/instances"), InstanceView::printList);
        return 0;
    }
}
