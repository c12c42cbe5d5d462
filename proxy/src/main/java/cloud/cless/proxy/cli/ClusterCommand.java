package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cless cluster}: the replicas of the cluster, their last reports and the leader. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Lists the replicas of the cluster as the one asked sees them: each one's address, its last",
            "report and its requests in flight per revision, which one leads, and whether the one asked reaches",
            "the shared database. On one host: that cless alone."})
public final class ClusterCommand implements Callable<Integer> {
    static final String PATH = "/cluster";

    @Mixin
    AdminOptions admin;

    @Override
    public Integer call() {
        admin.print(admin.client().get(PATH), ReplicaView::print);
        return 0;
    }
}
