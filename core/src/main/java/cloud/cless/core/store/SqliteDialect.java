package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** SQLite: WAL journal, foreign keys on, the schema version in {@code PRAGMA user_version}. */
final class SqliteDialect implements SqlDialect {
    private static final int BUSY_TIMEOUT_MILLIS = 5_000;
    private static final int SQLITE_CONSTRAINT = 19;

    @Override
    public String name() {
        return "SQLite";
    }

    @Override
    public void configure(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
            statement.execute("PRAGMA foreign_keys = ON");
            try (ResultSet rs = statement.executeQuery("PRAGMA journal_mode = WAL")) {
                String mode = rs.next() ? rs.getString(1) : null;
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new SQLException("could not switch to WAL journal mode (got " + mode + ")");
                }
            }
            // WAL makes NORMAL durable across application crashes; only a power loss can drop the last commit.
            statement.execute("PRAGMA synchronous = NORMAL");
        }
    }

    @Override
    public List<Migration> migrations() {
        return SqliteSchema.MIGRATIONS;
    }

    @Override
    public int schemaVersion(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    @Override
    public void recordSchemaVersion(Connection connection, int version) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // PRAGMA takes no bind parameters; the version is our own int.
            statement.executeUpdate("PRAGMA user_version = " + version);
        }
    }

    @Override
    public String violatedUnique(SQLException e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_CONSTRAINT || e.getMessage() == null) {
            return null;
        }
        if (e.getMessage().contains("service.host") || e.getMessage().contains("claimed_host.host")) {
            return "host";
        }
        if (e.getMessage().contains("service.name")) {
            return "name";
        }
        return null;
    }

    @Override
    public boolean isUnavailable(SQLException e) {
        return false; // a local file: it answers or fails, it is never out of reach
    }

    @Override
    public void lockForWrite(Connection connection, String name) {
        // One process owns the file (its data dir) and its store runs one call at a time.
    }

    @Override
    public void written(Connection connection, String name) {
        // Nobody else reads this database.
    }
}
