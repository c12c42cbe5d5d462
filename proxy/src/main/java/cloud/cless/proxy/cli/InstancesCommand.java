package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
        JsonNode instances = admin.client().get(AdminClient.definition(name) + "/instances");
        if (admin.json()) {
            admin.printJson(instances);
        } else {
            InstanceView.printList(instances, admin.out());
        }
        return 0;
    }
}
