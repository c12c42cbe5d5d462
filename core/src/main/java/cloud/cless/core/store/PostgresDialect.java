package cloud.cless.core.store;

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
 * highest row of {@code schema_migration} (one row per applied migration, with when), and unique violations are
 * told by constraint name.
 */
final class PostgresDialect implements SqlDialect {
    private static final String UNIQUE_VIOLATION = "23505";

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
        if (!UNIQUE_VIOLATION.equals(e.getSQLState()) || !(e instanceof PSQLException psql)) {
            return null;
        }
        ServerErrorMessage detail = psql.getServerErrorMessage();
        String constraint = detail == null ? null : detail.getConstraint();
        if (PostgresSchema.SERVICE_NAME_KEY.equals(constraint)) {
            return "name";
        }
        if (PostgresSchema.SERVICE_HOST_KEY.equals(constraint)) {
            return "host";
        }
        return null;
    }
}
