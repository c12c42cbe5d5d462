package cloud.cless.core.testing;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresTimeouts;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL for tests: a fresh database per test class, on a throwaway {@link PostgresServer} shared by
 * the whole test JVM ({@link #sharedServer()}) or started for the class alone ({@link #ownServer()}, which a test
 * may stop, crash and start again). Everything is dropped and deleted after the class.
 *
 * <p>Use it as an extension: {@code @RegisterExtension static final PostgresSupport postgres =
 * PostgresSupport.sharedServer();}. When the server cannot be started the class fails under {@code CI=true}
 * (never skips there) and is skipped elsewhere, with the reason and how to install PostgreSQL.
 */
public final class PostgresSupport implements BeforeAllCallback, AfterAllCallback {
    private static final Logger log = LoggerFactory.getLogger(PostgresSupport.class);
    /** Timeouts short enough that a test of an unreachable database fails its calls within about a second. */
    public static final PostgresTimeouts QUICK_TIMEOUTS = new PostgresTimeouts(Duration.ofSeconds(1),
            Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(5));
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresSupport.class);

    private final boolean own;
    private final List<String> databases = new ArrayList<>();
    private PostgresServer server;
    private String database;

    private PostgresSupport(boolean own) {
        this.own = own;
    }

    /** A database on the server every test class of this JVM shares; the server itself must not be stopped. */
    public static PostgresSupport sharedServer() {
        return new PostgresSupport(false);
    }

    /** A server of this test class's own, which its tests may {@link #server() stop and restart}. */
    public static PostgresSupport ownServer() {
        return new PostgresSupport(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = own ? startServer() : shared(context);
        database = freshDatabaseName();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server == null) {
            return;
        }
        try {
            if (own) {
                server.close();
            } else {
                for (String name : databases) {
                    server.dropDatabase(name);
                }
            }
        } finally {
            databases.clear();
            server = null;
        }
    }

    /** The JDBC URL of this class's database, as the ordinary role {@link PostgresServer#APP_USER}, no password. */
    public String jdbcUrl() {
        return server().jdbcUrl(database);
    }

    public String password() {
        return server().password();
    }

    public String database() {
        return database;
    }

    /** An endpoint of this class's database as cless would open it, for replica {@code replicaId}. */
    public PostgresEndpoint endpoint(String replicaId) {
        return endpoint(jdbcUrl(), replicaId);
    }

    /** An endpoint of the database at {@code jdbcUrl} (from {@link #freshDatabase()}), for replica {@code replicaId}. */
    public PostgresEndpoint endpoint(String jdbcUrl, String replicaId) {
        return PostgresEndpoint.of(jdbcUrl, password(), replicaId, PostgresTimeouts.DEFAULTS);
    }

    /** An endpoint where no database listens (connections are refused), with {@link #QUICK_TIMEOUTS}. */
    public static PostgresEndpoint unreachableEndpoint(String replicaId) {
        return PostgresEndpoint.of("jdbc:postgresql://127.0.0.1:1/cless?user=cless", "x", replicaId, QUICK_TIMEOUTS);
    }

    /** Creates another empty database, dropped after the class, and returns its JDBC URL (as {@link #jdbcUrl()}). */
    public String freshDatabase() {
        return server().jdbcUrl(freshDatabaseName());
    }

    /** A superuser connection to this class's database, for breaking sessions and inspecting locks. */
    public Connection adminConnection() throws SQLException {
        return server().adminConnection(database);
    }

    private PostgresServer server() {
        if (server == null) {
            throw new IllegalStateException("PostgresSupport is used outside its test class");
        }
        return server;
    }

    /** The server of an {@link #ownServer()}, which a test may stop and start. */
    public PostgresServer ownedServer() {
        if (!own) {
            throw new IllegalStateException("only a PostgresSupport.ownServer() may be stopped or restarted");
        }
        return server();
    }

    private String freshDatabaseName() {
        String name = "test_" + PostgresServer.randomToken();
        server.createDatabase(name);
        databases.add(name);
        return name;
    }

    private static PostgresServer shared(ExtensionContext context) {
        SharedServer shared = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedServer.class, key -> new SharedServer(), SharedServer.class);
        return shared.get();
    }

    private static PostgresServer startServer() {
        try {
            return startLogged();
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    private static PostgresServer startLogged() {
        PostgresServer started = PostgresServer.start();
        log.info("Test PostgreSQL on 127.0.0.1:{}: initdb {} ms, start {} ms", started.port(),
                started.initTime().toMillis(), started.lastStartTime().toMillis());
        return started;
    }

    /** Fails under CI=true; elsewhere skips the class (by throwing the abort). */
    private static AssertionError unavailable(RuntimeException cause) {
        String message = "a test PostgreSQL server could not be started: " + cause.getMessage();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            return new AssertionError(message, cause);
        }
        String skipped = message + " (the tests that need it are skipped outside CI; scripts/prepare-host.sh as root"
                + " installs PostgreSQL)";
        log.warn(skipped); // surefire counts a class aborted before its tests as neither run nor skipped
        Assumptions.abort(skipped);
        return new AssertionError("not reached", cause);
    }

    /** The JVM's shared server, started on first use and stopped when the test engine closes its root store. */
    private static final class SharedServer implements AutoCloseable {
        private PostgresServer server;
        private RuntimeException failure;

        /** The server; a start that failed once is not tried again by every later class. */
        synchronized PostgresServer get() {
            if (server == null && failure == null) {
                try {
                    server = startLogged();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw unavailable(failure);
            }
            return server;
        }

        @Override
        public synchronized void close() {
            if (server != null) {
                server.close();
                server = null;
            }
        }
    }
}
