package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cless rollback NAME [REVISION]}: all of a service's traffic to one revision, tags kept. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = {"Sends all of a service's traffic to REVISION; its tags stay where they point.",
            "Without REVISION: to the revision that served most recently before the latest one that served",
            "(so a canary or the last rollout is undone). A revision served when it had a percent."})
public final class RollbackCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(index = "0", paramLabel = "NAME", description = "The service.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REVISION",
            description = "The revision to send all traffic to (default: see above).")
    String revision;

    @Override
    public Integer call() {
        AdminClient client = admin.client();
        JsonNode service = client.get(AdminClient.definition(name));
        String target = revision;
        if (target == null) {
            JsonNode revisions = client.get(AdminClient.revisions(name));
            target = RollbackTarget.choose(revisions).orElseThrow(() -> new AdminClientException(
                    "service " + name + " has no revision to roll back to: no revision but "
                            + RollbackTarget.latestServed(revisions).orElse("the latest")
                            + " has served; name one with cless rollback " + name + " REVISION"));
        }
        TrafficPlan plan = new TrafficPlan().share(target, 100).tagsOf(service.path("traffic"), Set.of());
        JsonNode rolledBack = client.put(AdminClient.traffic(name), client.write(plan.toJson()));
        if (!admin.json()) {
            admin.out().println("all traffic of " + name + " to " + target);
        }
        DefinitionOutput.printTraffic(admin, rolledBack);
        return 0;
    }
}
