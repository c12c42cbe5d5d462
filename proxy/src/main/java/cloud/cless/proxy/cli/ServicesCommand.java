package cloud.cless.proxy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cless services}: manages service definitions through the admin API of a running cless. */
@Command(name = "services",
        mixinStandardHelpOptions = true,
        description = "Lists, shows, creates, updates and deletes service definitions through the admin API.",
        subcommands = {ServicesListCommand.class, ServicesGetCommand.class, ServicesCreateCommand.class,
            ServicesUpdateCommand.class, ServicesDeleteCommand.class})
public final class ServicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a subcommand: list, get, create, update or delete");
    }
}
