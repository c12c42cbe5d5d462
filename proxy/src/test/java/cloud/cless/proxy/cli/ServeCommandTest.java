package cloud.cless.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
    void aTrustedProxyThatIsNotAnAddressEndsWithExitCode1() {
        int code = ClessMain.commandLine().execute("serve", "--trusted-proxies", "proxy.example", "--store", "memory",
                "--data-dir", dataDir.toString());
        assertThat(code).isEqualTo(1);
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
    void aPortThatCannotBeBoundEndsWithExitCode1() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int code = ClessMain.commandLine().execute("serve", "--bind", "127.0.0.1",
                    "--port", Integer.toString(taken.getLocalPort()), "--admin-port", "0", "--store", "memory",
                    "--data-dir", dataDir.toString(), "--port-range", "39800-39899");
            assertThat(code).isEqualTo(1);
        }
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
