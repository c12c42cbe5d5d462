package cloud.cless.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.DataDirectory;
import cloud.cless.core.DataDirectoryLock;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {

    @TempDir
    Path dataDir;

    @Test
    void defaultsFollowTheDesign() {
        ServeCommand serve = parse();
        assertThat(serve.port).isEqualTo(80);
        assertThat(serve.bind).isEqualTo("0.0.0.0");
        assertThat(serve.domain).isEqualTo("localhost");
        assertThat(serve.adminPort).isEqualTo(1323);
        assertThat(serve.store).isEqualTo(ServerConfig.StoreKind.SQLITE);
        assertThat(serve.portRange).isEqualTo("20000-29999");
        assertThat(serve.idleTimeout).isEqualTo(Duration.ofSeconds(300));
        assertThat(serve.startupTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(serve.maxHeaderSize).isEqualTo(16 * 1024);
        assertThat(serve.headerTimeout).isEqualTo(Duration.ofSeconds(10));
        assertThat(serve.drainTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(serve.io).isEqualTo(IoMode.AUTO);
        assertThat(serve.dataDir).isEqualTo(Path.of("./cless-data"));
        assertThat(serve.revisionHistory).isEqualTo(10);
        assertThat(serve.keepAliveTimeout).isEqualTo(Duration.ofSeconds(60));
        assertThat(serve.upstreamIdleTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(serve.maxBodySize).isZero();
        assertThat(serve.trustedProxies).isNull();
    }

    @Test
    void requestPathFlagsAreParsed() {
        ServeCommand serve = parse("--keepalive-timeout", "5s", "--upstream-idle-timeout", "2m", "--max-body-size",
                "10m", "--trusted-proxies", "10.0.0.0/8,::1");
        assertThat(serve.keepAliveTimeout).isEqualTo(Duration.ofSeconds(5));
        assertThat(serve.upstreamIdleTimeout).isEqualTo(Duration.ofMinutes(2));
        assertThat(serve.maxBodySize).isEqualTo(10L * 1024 * 1024);
        assertThat(serve.trustedProxies).containsExactly("10.0.0.0/8", "::1");
        assertThat(parse("--max-body-size", "1048576").maxBodySize).isEqualTo(1048576);
        assertThat(parse("--max-body-size", "512k").maxBodySize).isEqualTo(512 * 1024);
    }

    @Test
    void aTrustedProxyThatIsNotAnAddressIsRefusedAsAUsageError() {
        assertThat(refused("--trusted-proxies", "proxy.example", "--store", "memory"))
                .contains("--trusted-proxies").contains("proxy.example");
    }

    @Test
    void aBodySizeThatIsNotASizeIsRejectedNamingTheFlag() {
        StringWriter err = new StringWriter();
        CommandLine cli = ClessMain.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("serve", "--max-body-size", "lots")).isEqualTo(2);
        assertThat(err.toString()).contains("--max-body-size").contains("'lots' is not a size");
    }

    @Test
    void flagsAreParsed() {
        ServeCommand serve = parse("--port", "8080", "--domain", "Cless.Cloud", "--io", "io_uring",
                "--idle-timeout", "5m", "--header-timeout", "250ms", "--store", "memory",
                "--admin-host", "control.example", "--allow-remote-upstreams");
        assertThat(serve.port).isEqualTo(8080);
        assertThat(serve.io).isEqualTo(IoMode.IO_URING);
        assertThat(serve.idleTimeout).isEqualTo(Duration.ofMinutes(5));
        assertThat(serve.headerTimeout).isEqualTo(Duration.ofMillis(250));
        assertThat(serve.store).isEqualTo(ServerConfig.StoreKind.MEMORY);
        assertThat(serve.allowRemoteUpstreams).isTrue();
    }

    @Test
    void badValuesAreRejectedWithAMessageNamingTheFlag() {
        StringWriter err = new StringWriter();
        CommandLine cli = ClessMain.commandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("serve", "--idle-timeout", "soon");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--idle-timeout").contains("'soon' is not a duration");
    }

    @Test
    void theRevisionHistoryKeepsAtLeastOne() {
        assertThat(parse("--revision-history", "3").revisionHistory).isEqualTo(3);
        StringWriter err = new StringWriter();
        CommandLine cli = ClessMain.commandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("serve", "--revision-history", "0", "--store", "memory",
                "--data-dir", dataDir.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--revision-history must be at least 1");
    }

    @Test
    void aPortThatCannotBeBoundEndsWithExitCode1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int code = ClessMain.commandLine().execute("serve", "--bind", "127.0.0.1",
                    "--port", Integer.toString(taken.getLocalPort()), "--admin-port", "0", "--store", "memory",
                    "--data-dir", dataDir.toString(), "--port-range", "39800-39899");
            assertThat(code).isEqualTo(1);
        }
    }

    @Test
    void aDataDirInUseEndsWithExitCode1AndAMessageNamingTheDirAndTheHolder() {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ServeCommand.class);
        logger.addAppender(logs);
        DataDirectory dir = new DataDirectory(dataDir).create();
        try (DataDirectoryLock held = dir.lock()) {
            int code = ClessMain.commandLine().execute("serve", "--bind", "127.0.0.1", "--port", "0",
                    "--admin-port", "0", "--store", "memory", "--data-dir", dataDir.toString());

            assertThat(code).isEqualTo(1);
        } finally {
            logger.detachAppender(logs);
        }
        assertThat(logs.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("data directory " + dir.root() + " is in use by another cless")
                .contains("PID " + ProcessHandle.current().pid()));
    }

    @Test
    void theSharedStoreIsNamedByItsUrl() {
        ServeCommand serve = parse("--store", "postgres", "--store-url", "jdbc:postgresql://db.example:5432/cless");
        assertThat(serve.store).isEqualTo(ServerConfig.StoreKind.POSTGRES);
        assertThat(serve.storeUrl).isEqualTo("jdbc:postgresql://db.example:5432/cless");
        assertThat(parse().storeUrl).isNull();
    }

    @Test
    void aSharedStoreNeedsAUrlOfPostgresqlAndOnlyItTakesOne() {
        assertThat(refused("--store", "postgres")).contains("--store postgres needs --store-url");
        assertThat(refused("--store", "postgres", "--store-url", "jdbc:mysql://db/cless?password=hush"))
                .contains("--store-url must be a PostgreSQL JDBC URL")
                .contains("password=***")
                .doesNotContain("hush");
        assertThat(refused("--store", "sqlite", "--store-url", "jdbc:postgresql://db/cless"))
                .contains("--store-url is only used with --store postgres");
    }

    /** Runs {@code serve} with {@code args}, which must be refused as a usage error; returns what it said. */
    private String refused(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = ClessMain.commandLine();
        cli.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 3];
        all[0] = "serve";
        all[1] = "--data-dir";
        all[2] = dataDir.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        assertThat(cli.execute(all)).isEqualTo(2);
        return err.toString();
    }

    private static ServeCommand parse(String... args) {
        CommandLine cli = ClessMain.commandLine();
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult result = cli.parseArgs(all);
        return result.subcommand().commandSpec().commandLine().getCommand();
    }
}
