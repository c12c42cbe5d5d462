package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cless revisions NAME}: a service's revisions, newest first, with their traffic. */
@Command(name = "revisions", mixinStandardHelpOptions = true,
        description = {"Lists the revisions of a service, newest first: the traffic and tags each has, its",
            "instances, what it runs, when it was made and when it last had a share of the traffic."})
public final class RevisionsCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Override
    public Integer call() {
        admin.print(admin.client().get(AdminClient.revisions(name)), RevisionView::printList);
        return 0;
    }
}
