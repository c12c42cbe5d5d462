package cloud.cless.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: {@code initdb} into a temporary directory, listening on a free port of
 * 127.0.0.1 only (its unix socket in that directory), stopped and deleted by {@link #close()}. It can be stopped,
 * crashed and started again on the same port and data, for tests of what survives a database restart.
 *
 * <p>PostgreSQL refuses to run as root: as root the server runs as the {@code postgres} system user (created by
 * Debian's package) on a directory it owns. Two roles exist: {@link #ADMIN_USER}, the superuser tests use to
 * create databases and break connections, and {@link #APP_USER}, an ordinary role like the one an operator would
 * give cless, which owns the databases {@link #createDatabase} makes.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String ADMIN_USER = "cless_admin";
    public static final String APP_USER = "cless";
    private static final String DIR_PREFIX = "cless-pg-";
    private static final String OWNER_FILE = "owner.pid";
    private static final int START_ATTEMPTS = 5;
    // No flush to disk for a server deleted after the test; commits still reach the OS at once (synchronous_commit
    // stays on), so a crash() of the server loses nothing committed, as with a real one.
    private static final String SERVER_OPTIONS = "-c fsync=off -c full_page_writes=off"
            + " -c shared_buffers=32MB -c max_connections=200 -c log_min_messages=warning";

    private final PostgresBinaries binaries;
    private final Path dir;
    private final Path dataDir;
    private final String password;
    private Duration initTime = Duration.ZERO;
    private int port;
    private boolean running;
    private Duration lastStartTime = Duration.ZERO;
    // Stops the server when the JVM exits without closing it (an interrupted build); a SIGKILL is swept up by the
    // next test run (removeAbandoned).
    private final Thread shutdownHook = new Thread(this::destroy, "test-postgres-shutdown");

    private PostgresServer(PostgresBinaries binaries, Path dir, String password) {
        this.binaries = binaries;
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.password = password;
    }

    /**
     * Initialises a new cluster and starts it. Throws {@link IllegalStateException} saying why when PostgreSQL is
     * not installed or does not come up (the log's tail included).
     */
    public static PostgresServer start() {
        PostgresBinaries binaries = PostgresBinaries.find();
        removeAbandoned(binaries);
        long began = System.nanoTime();
        PostgresServer server = new PostgresServer(binaries, createDirectory(binaries), randomToken());
        try {
            server.initdb();
            server.initTime = Duration.ofNanos(System.nanoTime() - began);
            server.startOnFreePort();
            server.createAppRole();
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            return server;
        } catch (RuntimeException e) {
            server.destroy();
            throw e;
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The password of both {@link #ADMIN_USER} and {@link #APP_USER}. */
    public String password() {
        return password;
    }

    /** A JDBC URL for {@code database} as {@link #APP_USER}, without the password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database + "?user=" + APP_USER;
    }

    /** How long initdb took, and how long the last start took until the server accepted connections. */
    public Duration initTime() {
        return initTime;
    }

    public Duration lastStartTime() {
        return lastStartTime;
    }

    public synchronized boolean isRunning() {
        return running;
    }

    /** A new superuser connection to {@code database}; the caller closes it. */
    public Connection adminConnection(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", ADMIN_USER);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://" + host() + ":" + port + "/" + database, properties);
    }

    /** Creates an empty database owned by {@link #APP_USER}. */
    public void createDatabase(String database) {
        admin("CREATE DATABASE \"" + database + "\" OWNER " + APP_USER);
    }

    /** Drops a database, ending the sessions still connected to it. */
    public void dropDatabase(String database) {
        admin("DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
    }

    /** Fast shutdown: every session is ended, as on an operator's restart of the database. */
    public synchronized void stop() {
        if (running) {
            pgCtl("stop", "-m", "fast");
            running = false;
        }
    }

    /** Immediate shutdown: the server's processes quit without a checkpoint, as in a crash. */
    public synchronized void crash() {
        if (running) {
            pgCtl("stop", "-m", "immediate");
            running = false;
        }
    }

    /** Starts the stopped server again, on the same port and data. */
    public synchronized void restart() {
        stop();
        startAgain();
    }

    /** Starts the server again after {@link #stop()} or {@link #crash()}, on the same port. */
    public synchronized void startAgain() {
        if (running) {
            return;
        }
        IllegalStateException last = null;
        // Rarely, another process takes the port while the server is down; a moment later it may be free again.
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            try {
                startOn(port);
                return;
            } catch (IllegalStateException e) {
                last = e;
                DockerSupport.sleep(Duration.ofMillis(200));
            }
        }
        throw last;
    }

    /** Stops the server and deletes its directory. */
    @Override
    public synchronized void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) destroy() itself
        }
        destroy();
    }

    private synchronized void destroy() {
        try {
            if (running) {
                pgCtl("stop", "-m", "immediate");
                running = false;
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private void initdb() {
        Path pwfile = dir.resolve("pwfile");
        try {
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            binaries.giveToServerUser(pwfile);
            binaries.run("initdb", List.of("-D", dataDir.toString(), "-U", ADMIN_USER, "-A", "scram-sha-256",
                    "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException ignored) {
                // removed with the directory
            }
        }
    }

    private void startOnFreePort() {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            try {
                startOn(freePort());
                return;
            } catch (IllegalStateException e) {
                // Another process took the port between the probe and the server's bind: try another.
                last = e;
            }
        }
        throw last;
    }

    private synchronized void startOn(int candidate) {
        long began = System.nanoTime();
        String options = "-p " + candidate + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir
                + " " + SERVER_OPTIONS;
        pgCtl("start", "-l", dir.resolve("postgres.log").toString(), "-o", options);
        port = candidate;
        running = true;
        lastStartTime = Duration.ofNanos(System.nanoTime() - began);
    }

    private void createAppRole() {
        admin("CREATE ROLE " + APP_USER + " LOGIN PASSWORD '" + password + "'");
    }

    private void admin(String sql) {
        try (Connection connection = adminConnection("postgres"); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("test PostgreSQL on port " + port + ": " + sql + " failed: "
                    + e.getMessage(), e);
        }
    }

    private void pgCtl(String action, String... arguments) {
        List<String> args = new ArrayList<>(List.of(action, "-D", dataDir.toString(), "-w", "-s", "-t", "30"));
        args.addAll(List.of(arguments));
        try {
            binaries.run("pg_ctl", args);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + logTail(), e);
        }
    }

    private String logTail() {
        Path log = dir.resolve("postgres.log");
        try {
            if (!Files.exists(log)) {
                return "(no server log)";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "server log " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15),
                    lines.size()));
        } catch (IOException e) {
            return "(server log unreadable: " + e + ")";
        }
    }

    private static Path createDirectory(PostgresBinaries binaries) {
        Path dir = DockerSupport.createTempDirectory(DIR_PREFIX);
        try {
            Files.writeString(dir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
            binaries.giveToServerUser(dir);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(dir);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        return dir;
    }

    /**
     * Stops and deletes the servers of test JVMs that died without cleaning up (SIGKILL, a killed build): their
     * directory names a process that no longer runs. Servers of live JVMs (other builds on this host) are left.
     */
    private static void removeAbandoned(PostgresBinaries binaries) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, DIR_PREFIX + "*")) {
            for (Path candidate : dirs) {
                Path owner = candidate.resolve(OWNER_FILE);
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(owner).strip());
                } catch (IOException | NumberFormatException unreadable) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                PostgresServer abandoned = new PostgresServer(binaries, candidate, "");
                abandoned.running = Files.exists(candidate.resolve("data/postmaster.pid"));
                try {
                    abandoned.destroy();
                } catch (RuntimeException e) {
                    // Best effort: a server we cannot stop is reported by its own test run.
                }
            }
        } catch (IOException ignored) {
            // nothing to sweep
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String randomToken() {
        byte[] raw = new byte[8];
        ThreadLocalRandom.current().nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete test PostgreSQL directory " + root, e);
        }
    }
}
