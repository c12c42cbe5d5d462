package cloud.cless.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQLite schema as an ordered list of migrations; {@code PRAGMA user_version} records the last one applied.
 * A later version of cless appends migrations here and never edits applied ones.
 */
final class SqliteSchema {
    private static final Logger log = LoggerFactory.getLogger(SqliteSchema.class);

    /** One step of the schema; {@code version} is its position in {@link #MIGRATIONS}, counting from 1. */
    record Migration(int version, String description, List<String> statements) {
    }

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "create the service table", List.of("""
                    CREATE TABLE service (
                        name                    TEXT    NOT NULL PRIMARY KEY,
                        image_name              TEXT,
                        image_tag               TEXT,
                        upstream                TEXT,
                        port                    INTEGER,
                        host                    TEXT    NOT NULL UNIQUE,
                        env                     TEXT    NOT NULL DEFAULT '{}',
                        min_instances           INTEGER,
                        max_instances           INTEGER,
                        concurrency             INTEGER,
                        idle_timeout_seconds    INTEGER,
                        idle_action             TEXT,
                        startup_timeout_seconds INTEGER,
                        readiness_path          TEXT,
                        memory_mb               INTEGER,
                        cpus                    REAL
                    )""")));

    static final int LATEST_VERSION = MIGRATIONS.size();

    private SqliteSchema() {
    }

    /** Applies every migration newer than the database's version, each in its own transaction. */
    static void migrate(Connection connection, Path file) throws SQLException {
        int current = version(connection);
        if (current > LATEST_VERSION) {
            throw new StoreException("service store " + file + " has schema version " + current
                    + ", newer than this cless knows (" + LATEST_VERSION + "); upgrade cless", null);
        }
        for (Migration migration : MIGRATIONS.subList(current, LATEST_VERSION)) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                for (String sql : migration.statements()) {
                    statement.executeUpdate(sql);
                }
                // PRAGMA takes no bind parameters; the version is our own int.
                statement.executeUpdate("PRAGMA user_version = " + migration.version());
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
            log.info("Service store {}: applied schema migration {} ({})", file, migration.version(),
                    migration.description());
        }
    }

    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
