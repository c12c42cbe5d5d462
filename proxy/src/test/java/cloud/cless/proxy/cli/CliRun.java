package cloud.cless.proxy.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of the {@code cless} command line, parsed exactly as the launcher parses it: exit code and output. */
record CliRun(int code, String out, String err) {

    static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = ClessMain.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs against {@code api} with its token. */
    static CliRun against(AdminApiFixture api, String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--admin-url";
        all[args.length + 1] = api.url;
        all[args.length + 2] = "--token";
        all[args.length + 3] = AdminApiFixture.TOKEN;
        return run(all);
    }
}
