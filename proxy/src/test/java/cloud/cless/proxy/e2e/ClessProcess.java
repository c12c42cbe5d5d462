package cloud.cless.proxy.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code cless serve} in a process of its own, as an operator starts it (the launcher's main class on this test's
 * classpath, which is what the built jar holds), on loopback ports of its own, its output in a log file: for tests
 * that kill a replica for real. {@link #kill()} is SIGKILL; {@link #close()} is SIGTERM, then SIGKILL after a
 * while.
 */
final class ClessProcess implements AutoCloseable {
    private static final String MAIN = "cloud.cless.proxy.cli.ClessMain";
    private static final Duration STOP_WAIT = Duration.ofSeconds(20);

    private final String name;
    private final Process process;
    private final Path log;
    private final InetSocketAddress proxy;
    private final InetSocketAddress admin;

    private ClessProcess(String name, Process process, Path log, int proxyPort, int adminPort) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.proxy = new InetSocketAddress("127.0.0.1", proxyPort);
        this.admin = new InetSocketAddress("127.0.0.1", adminPort);
    }

    /**
     * Starts {@code cless serve} on free ports of 127.0.0.1 with its data in {@code dir}, the admin token
     * {@code token}, and {@code flags}; {@code env} is added to this JVM's environment. Returns at once: see
     * {@link #awaitServing}.
     */
    static ClessProcess start(String name, Path dir, String token, Map<String, String> env, String... flags)
            throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve(name));
        Path log = dir.resolve(name + ".log");
        int proxyPort = freePort();
        int adminPort = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Small and quick to start: several of these share the test machine.
                "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), MAIN, "serve",
                "--bind", "127.0.0.1", "--port", Integer.toString(proxyPort),
                "--admin-port", Integer.toString(adminPort), "--admin-token", token,
                "--data-dir", dataDir.toString(), "--event-loop-threads", "1", "--drain-timeout", "1s"));
        command.addAll(List.of(flags));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("CLESS_"));
        builder.environment().putAll(env);
        return new ClessProcess(name, builder.start(), log, proxyPort, adminPort);
    }

    /** Waits until its admin API answers; fails with the log's tail when it exits or takes longer than {@code limit}. */
    ClessProcess awaitServing(Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                if (RawHttp.get(admin, "127.0.0.1", "/healthz").status() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " does not serve within " + limit.toSeconds() + " s:\n" + logTail());
            }
            Thread.sleep(100);
        }
    }

    String name() {
        return name;
    }

    InetSocketAddress proxy() {
        return proxy;
    }

    InetSocketAddress admin() {
        return admin;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a crash or the OOM killer: nothing of cless runs after it. Waits for the process to end. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The last lines of its log, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (a graceful stop), then SIGKILL if it does not end in time. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (proxy " + proxy.getPort() + ", admin " + admin.getPort() + ")";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
