package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * The PostgreSQL schema of the shared store as an ordered list of migrations, applied by {@link SchemaMigrator}
 * under an advisory lock (replicas starting together apply each step once); the table {@code schema_migration}
 * records each step applied. A later version of cless appends migrations here and never edits applied ones.
 */
public final class PostgresSchema {

    static final List<SchemaMigration> MIGRATIONS = List.of(
            new SchemaMigration(1, "cluster coordination: the change sequence and replica reports", List.of(
                    // Numbers every change announced on the change feed (ChangeNotices), so a replica can tell
                    // a notification it has already seen in a reload from a newer one.
                    "CREATE SEQUENCE change_seq",
                    """
                    CREATE TABLE replica (
                        id          text        NOT NULL PRIMARY KEY,
                        name        text        NOT NULL,
                        address     text        NOT NULL,
                        started_at  timestamptz NOT NULL,
                        reported_at timestamptz NOT NULL,
                        revisions   jsonb       NOT NULL DEFAULT '{}'
                    )""")));

    private static final Duration LOCK_POLL = Duration.ofMillis(100);

    private PostgresSchema() {
    }

    /** The version this cless brings a database to. */
    public static int latestVersion() {
        return MIGRATIONS.size();
    }

    /**
     * Brings the schema of the endpoint's database up to date on a connection of its own; waits at most
     * {@code lockWait} for another replica's migration to finish. Returns how many migrations it applied.
     *
     * @throws StoreUnavailableException when the database cannot be reached
     * @throws StoreException when the schema is newer than this cless knows, a migration fails, or the lock is
     *     not had in time
     */
    public static int migrate(PostgresEndpoint endpoint, Duration lockWait) {
        return migrate(endpoint, lockWait, MIGRATIONS);
    }

    static int migrate(PostgresEndpoint endpoint, Duration lockWait, List<SchemaMigration> migrations) {
        SchemaMigrator migrator = new SchemaMigrator(endpoint.redactedUrl(), migrations, new HistoryTable());
        try (Connection connection = endpoint.openDedicated("schema migration")) {
            lock(connection, endpoint, lockWait);
            try {
                return migrator.migrate(connection);
            } finally {
                unlock(connection);
            }
        } catch (SQLException e) {
            throw DatabaseFailures.translate("migrate the schema of " + endpoint.redactedUrl(), e);
        }
    }

    /** The current schema version of the endpoint's database; 0 when it has none. */
    public static int currentVersion(Connection connection) throws SQLException {
        HistoryTable history = new HistoryTable();
        return history.exists(connection) ? history.currentVersion(connection) : 0;
    }

    private static void lock(Connection connection, PostgresEndpoint endpoint, Duration wait) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        AdvisoryLock lock = AdvisoryLock.SCHEMA_MIGRATION;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            ps.setInt(1, lock.classId());
            ps.setInt(2, lock.objectId());
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new StoreException("another cless has been migrating the schema of "
                            + endpoint.redactedUrl() + " for over " + wait.toSeconds() + " s (it holds advisory lock "
                            + lock.classId() + "/" + lock.objectId() + "); try again once it is done", null);
                }
                sleep(LOCK_POLL);
            }
        }
    }

    private static void unlock(Connection connection) throws SQLException {
        AdvisoryLock lock = AdvisoryLock.SCHEMA_MIGRATION;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
            ps.setInt(1, lock.classId());
            ps.setInt(2, lock.objectId());
            ps.execute();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting to migrate the schema", e);
        }
    }

    /** One row per applied migration; the highest version is the schema's. */
    static final class HistoryTable implements SchemaHistory {
        @Override
        public void prepare(Connection connection) throws SQLException {
            try (Statement statement = connection.createStatement()) {
                statement.execute("""
                        CREATE TABLE IF NOT EXISTS schema_migration (
                            version     integer     NOT NULL PRIMARY KEY,
                            description text        NOT NULL,
                            applied_at  timestamptz NOT NULL DEFAULT now()
                        )""");
            }
        }

        boolean exists(Connection connection) throws SQLException {
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT to_regclass('schema_migration') IS NOT NULL")) {
                return rs.next() && rs.getBoolean(1);
            }
        }

        @Override
        public int currentVersion(Connection connection) throws SQLException {
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migration")) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }

        @Override
        public void recordApplied(Connection connection, SchemaMigration migration) throws SQLException {
            try (PreparedStatement ps = connection.prepareStatement(
                    "INSERT INTO schema_migration (version, description) VALUES (?, ?)")) {
                ps.setInt(1, migration.version());
                ps.setString(2, migration.description());
                ps.executeUpdate();
            }
        }
    }
}
