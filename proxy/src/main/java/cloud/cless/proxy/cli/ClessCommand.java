package cloud.cless.proxy.cli;

import picocli.CommandLine.Command;

/** The top-level {@code cless} command; its subcommands do the work. */
@Command(name = "cless",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Self-hosted serverless platform for HTTP containers.",
        subcommands = {ServeCommand.class, ServicesCommand.class, InstancesCommand.class, RevisionsCommand.class,
            TrafficCommand.class, RollbackCommand.class, ClusterCommand.class})
public final class ClessCommand {
}
