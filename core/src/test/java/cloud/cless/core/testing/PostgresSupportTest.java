package cloud.cless.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresSupportTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    @Test
    void theDatabaseBelongsToAnOrdinaryRoleOnLoopbackOnly() throws SQLException {
        try (Connection connection = connect(postgres.jdbcUrl());
             Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT current_user")).isEqualTo(PostgresServer.APP_USER);
            assertThat(single(statement, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"))
                    .isEqualTo("false");
            assertThat(single(statement, "SELECT pg_get_userbyid(datdba) FROM pg_database"
                    + " WHERE datname = current_database()")).isEqualTo(PostgresServer.APP_USER);
            assertThat(single(statement, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
            statement.execute("CREATE TABLE t (x int)");
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        Properties properties = new Properties();
        properties.setProperty("password", "wrong");
        assertThatThrownBy(() -> DriverManager.getConnection(postgres.jdbcUrl(), properties).close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void aRestartKeepsPortAndData() throws SQLException {
        PostgresServer server = postgres.ownedServer();
        int port = server.port();
        try (Connection connection = connect(postgres.jdbcUrl());
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE kept (x int)");
            statement.execute("INSERT INTO kept VALUES (42)");
        }
        server.crash();
        assertThat(server.isRunning()).isFalse();
        assertThatThrownBy(() -> connect(postgres.jdbcUrl()).close()).isInstanceOf(SQLException.class);
        server.startAgain();
        assertThat(server.port()).isEqualTo(port);
        try (Connection connection = connect(postgres.jdbcUrl());
             Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT x::text FROM kept")).isEqualTo("42");
        }
    }

    @Test
    void aSharedServerCannotBeStopped() {
        assertThatThrownBy(() -> PostgresSupport.sharedServer().ownedServer())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingStopsTheServerAndDeletesItsDirectory() throws SQLException {
        PostgresServer server = PostgresServer.start();
        String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres?user=" + PostgresServer.APP_USER;
        Properties properties = new Properties();
        properties.setProperty("password", server.password());
        DriverManager.getConnection(url, properties).close();
        server.close();
        assertThat(server.isRunning()).isFalse();
        assertThatThrownBy(() -> DriverManager.getConnection(url, properties).close())
                .isInstanceOf(SQLException.class);
    }

    private static Connection connect(String url) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("password", postgres.password());
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(url, properties);
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
