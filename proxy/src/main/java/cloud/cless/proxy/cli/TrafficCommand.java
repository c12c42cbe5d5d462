package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cless traffic NAME hello-00001=90 latest=10 --tag canary=hello-00002}: sets how a service's requests are
 * split between its revisions, and which revision each tag's host reaches.
 */
@Command(name = "traffic", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sets a service's traffic: the percent of its requests each revision gets (they add up to",
            "100; latest is whichever revision is the newest), and tags, each reachable at",
            "<tag>--<service host> whatever the percents. Tags the service has stay unless --untag names them;",
            "without percents, the percents stay as they are.",
            "Example: cless traffic hello hello-00001=90 latest=10 --tag canary=latest"})
public final class TrafficCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The service.")
    String name;

    @Parameters(index = "1..*", paramLabel = "REVISION=PERCENT",
            description = "A revision (or latest) and its percent of the requests.")
    List<String> shares = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "TAG=REVISION",
            description = "Reach REVISION (or latest) at <TAG>--<service host>; repeatable.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--untag", paramLabel = "TAG", description = "Remove a tag; repeatable.")
    List<String> untag = new ArrayList<>();

    @Override
    public Integer call() {
        if (shares.isEmpty() && tags.isEmpty() && untag.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give percents (REVISION=PERCENT, e.g. "
                    + "hello-00001=90 latest=10), --tag or --untag");
        }
        AdminClient client = admin.client();
        JsonNode current = client.get(AdminClient.definition(name)).path("traffic");
        TrafficPlan plan = new TrafficPlan();
        if (shares.isEmpty()) {
            plan.sharesOf(current);
        } else {
            shares.forEach(share -> addShare(plan, share));
        }
        Set<String> dropped = new HashSet<>(untag);
        dropped.addAll(tags.keySet());
        plan.tagsOf(current, dropped);
        tags.forEach(plan::tag);
        JsonNode service = client.put(AdminClient.traffic(name), client.write(plan.toJson()));
        DefinitionOutput.printTraffic(admin, service);
        return 0;
    }

    private void addShare(TrafficPlan plan, String share) {
        int eq = share.lastIndexOf('=');
        String target = eq <= 0 ? null : share.substring(0, eq);
        String percent = eq < 0 ? null : share.substring(eq + 1).strip().replaceFirst("%$", "");
        if (target == null || percent == null || !percent.matches("\\d{1,3}")) {
            throw new ParameterException(spec.commandLine(), "'" + share + "' is not REVISION=PERCENT (a revision"
                    + " name or latest, and a whole percent, e.g. hello-00001=90)");
        }
        plan.share(target, Integer.parseInt(percent));
    }
}
