package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.testing.PostgresSupport;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresEndpointTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    private static final PostgresTimeouts QUICK = PostgresSupport.QUICK_TIMEOUTS;

    @Test
    void refusesAUrlThatIsNotPostgresJdbc() {
        assertThatThrownBy(() -> PostgresEndpoint.fromStoreUrl("postgres://db/cless?password=hunter2", Map.of(), "r1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--store-url must be a PostgreSQL JDBC URL")
                .hasMessageContaining("password=***")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PostgresEndpoint.fromStoreUrl("jdbc:sqlite:/tmp/x.db", Map.of(), "r1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void redactsThePasswordParameter() {
        assertThat(PostgresEndpoint.redact("jdbc:postgresql://db:5432/cless?user=cless&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/cless?user=cless&password=***&ssl=true");
        assertThat(PostgresEndpoint.redact("jdbc:postgresql://db/cless?PASSWORD=x")).isEqualTo(
                "jdbc:postgresql://db/cless?PASSWORD=***");
        assertThat(PostgresEndpoint.fromStoreUrl("jdbc:postgresql://db/c?password=x", Map.of(), "r1").redactedUrl())
                .doesNotContain("=x");
    }

    @Test
    void thePasswordComesFromTheEnvironmentWhenTheUrlHasNone() throws SQLException {
        PostgresEndpoint endpoint = PostgresEndpoint.fromStoreUrl(postgres.jdbcUrl(),
                Map.of(PostgresEndpoint.PASSWORD_ENV, postgres.password()), "r1");
        try (Connection connection = endpoint.openDedicated("test")) {
            assertThat(connection.isValid(1)).isTrue();
        }
    }

    @Test
    void theUrlsPasswordWinsOverTheEnvironment() throws SQLException {
        String url = postgres.jdbcUrl() + "&password=" + postgres.password();
        PostgresEndpoint endpoint = PostgresEndpoint.fromStoreUrl(url,
                Map.of(PostgresEndpoint.PASSWORD_ENV, "not-the-password"), "r1");
        try (Connection connection = endpoint.openDedicated("test")) {
            assertThat(connection.isValid(1)).isTrue();
        }
    }

    @Test
    void aWrongPasswordIsAnUnavailableStore() {
        PostgresEndpoint endpoint = PostgresEndpoint.fromStoreUrl(postgres.jdbcUrl(),
                Map.of(PostgresEndpoint.PASSWORD_ENV, "wrong"), "r1");
        assertThatThrownBy(() -> endpoint.openDedicated("test").close())
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(DatabaseFailures.isUnavailable(e)).isTrue())
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void sessionsAreNamedAndBoundedOnTheServer() throws SQLException {
        try (Connection connection = postgres.endpoint("replica-7").openDedicated("change feed");
             Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SHOW application_name")).isEqualTo("cless change feed replica-7");
            assertThat(single(statement, "SHOW statement_timeout")).isEqualTo("5s");
            assertThat(single(statement, "SHOW tcp_keepalives_idle")).isEqualTo("5");
            assertThat(single(statement, "SHOW tcp_user_timeout")).isEqualTo("9000");
        }
    }

    @Test
    void optionsInTheUrlWinOverOurs() throws SQLException {
        String url = postgres.jdbcUrl() + "&options=-c%20statement_timeout%3D7000";
        try (Connection connection = postgres.endpoint(url, "r1").openDedicated("test");
             Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SHOW statement_timeout")).isEqualTo("7s");
        }
    }

    @Test
    void aStatementOverItsTimeoutIsCancelledByTheServer() throws SQLException {
        PostgresEndpoint endpoint = PostgresEndpoint.of(postgres.jdbcUrl(), postgres.password(), "r1", QUICK);
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            assertThatThrownBy(() -> statement.execute("SELECT pg_sleep(10)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("statement timeout")
                    .satisfies(e -> assertThat(DatabaseFailures.isUnavailable(e)).isFalse());
        }
    }

    @Test
    void thePoolServesBoundedConnections() throws SQLException {
        PostgresEndpoint endpoint = PostgresEndpoint.of(postgres.jdbcUrl(), postgres.password(), "r1", QUICK);
        try (HikariDataSource pool = endpoint.newPool("test pool", 2)) {
            List<Connection> held = new ArrayList<>();
            try {
                held.add(pool.getConnection());
                held.add(pool.getConnection());
                // A third caller waits at most poolWait, then hears why.
                assertThatThrownBy(pool::getConnection).isInstanceOf(SQLTransientConnectionException.class);
            } finally {
                for (Connection connection : held) {
                    connection.close();
                }
            }
            try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
                assertThat(single(statement, "SHOW application_name")).isEqualTo("cless test pool r1");
            }
        }
    }

    @Test
    void aDatabaseThatNeverAnswersFailsTheCallerWithinSeconds() throws Exception {
        // Accepts TCP connections and never says a word: a hung server or a black-holed network.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/cless?user=cless";
            PostgresEndpoint endpoint = PostgresEndpoint.of(url, "x", "r1", QUICK);

            long began = System.nanoTime();
            assertThatThrownBy(() -> endpoint.openDedicated("test").close())
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(DatabaseFailures.isUnavailable(e)).isTrue());
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));

            try (HikariDataSource pool = endpoint.newPool("test", 1)) {
                began = System.nanoTime();
                assertThatThrownBy(pool::getConnection)
                        .isInstanceOf(SQLTransientConnectionException.class)
                        .satisfies(e -> assertThat(DatabaseFailures.translate("read", (SQLException) e))
                                .isInstanceOf(StoreUnavailableException.class));
                assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
            }
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
