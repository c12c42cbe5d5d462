package cloud.cless.core.store;

import cloud.cless.core.cluster.Change;
import cloud.cless.core.cluster.ChangeNotices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * PostgreSQL: session settings come with each connection ({@link PostgresEndpoint}), the schema version is the
 * highest row of {@code schema_migration} (one row per applied migration, with when), unique violations are
 * told by constraint name, writes lock their service's rows and announce the change on the change feed.
 */
final class PostgresDialect implements SqlDialect {
    private static final String UNIQUE_VIOLATION = "23505";
    // What the write reads after waiting for a lock must be what the other writer committed: read committed,
    // whatever default an operator gave the database.
    private static final String ISOLATION = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
    private static final List<String> LOCKS = List.of(
            "SELECT 1 FROM service WHERE name = ? FOR UPDATE",
            "SELECT 1 FROM revision_sequence WHERE service = ? FOR UPDATE");

    private final List<Migration> migrations;

    PostgresDialect() {
        this(PostgresSchema.MIGRATIONS);
    }

    /** A dialect with other migrations, for tests of the migration run. */
    PostgresDialect(List<Migration> migrations) {
        this.migrations = List.copyOf(migrations);
    }

    @Override
    public String name() {
        return "PostgreSQL";
    }

    @Override
    public void configure(Connection connection) {
        // Timeouts, keepalives and the application name are set at connect time, for pooled connections too.
    }

    @Override
    public List<Migration> migrations() {
        return migrations;
    }

    @Override
    public int schemaVersion(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet exists = statement.executeQuery("SELECT to_regclass('schema_migration') IS NOT NULL")) {
            if (!exists.next() || !exists.getBoolean(1)) {
                return 0;
            }
        }
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migration")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    @Override
    public void recordSchemaVersion(Connection connection, int version) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // Inside the first migration's transaction, so a failed first step leaves no history table behind.
            statement.executeUpdate("""
                    CREATE TABLE IF NOT EXISTS schema_migration (
                        version    integer     NOT NULL PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )""");
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO schema_migration (version) VALUES (?)")) {
            ps.setInt(1, version);
            ps.executeUpdate();
        }
    }

    @Override
    public String violatedUnique(SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
            return null;
        }
        // A batch reports the server's error as its next exception.
        SQLException reported = e instanceof PSQLException || e.getNextException() == null ? e : e.getNextException();
        if (!(reported instanceof PSQLException psql)) {
            return null;
        }
        ServerErrorMessage detail = psql.getServerErrorMessage();
        String constraint = detail == null ? null : detail.getConstraint();
        if (PostgresSchema.SERVICE_NAME_KEY.equals(constraint)) {
            return "name";
        }
        if (PostgresSchema.SERVICE_HOST_KEY.equals(constraint) || PostgresSchema.CLAIMED_HOST_KEY.equals(constraint)) {
            return "host";
        }
        return null;
    }

    @Override
    public boolean isUnavailable(SQLException e) {
        return DatabaseFailures.isUnavailable(e);
    }

    /**
     * Row locks on the service and on its revision number, in that order in every write: a writer of the same
     * name in another replica waits until this transaction ends, then reads what it committed. A name with
     * neither row yet locks nothing; two creators of it are told apart by the primary key.
     */
    @Override
    public void lockForWrite(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(ISOLATION);
        }
        for (String sql : LOCKS) {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, name);
                ps.executeQuery().close();
            }
        }
    }

    /** Announces the change on the change feed; PostgreSQL delivers it with the commit, never on a rollback. */
    @Override
    public void written(Connection connection, String name) throws SQLException {
        ChangeNotices.announce(connection, Change.SERVICE, name);
    }
}
