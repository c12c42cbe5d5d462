package cloud.cless.proxy.cli;

import picocli.CommandLine;

/** Entry point of the {@code cless} launcher. */
public final class ClessMain {
    private ClessMain() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, shared with tests so they parse exactly what users type. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ClessCommand());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.registerConverter(java.time.Duration.class, new DurationConverter());
        cli.registerConverter(cloud.cless.proxy.IoMode.class, cloud.cless.proxy.IoMode::parse);
        cli.setExecutionExceptionHandler(new AdminClientErrors());
        return cli;
    }
}
