package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Brings a database's schema up to the dialect's latest version, one migration per transaction. */
final class SchemaMigrator {
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);

    private SchemaMigrator() {
    }

    /**
     * Applies every migration newer than the database's version. A database newer than this cless knows is
     * refused, not misread.
     *
     * @param where the database for messages (a file path, a URL)
     */
    static void migrate(Connection connection, SqlDialect dialect, String where) throws SQLException {
        List<Migration> migrations = dialect.migrations();
        int latest = migrations.size();
        int current = dialect.schemaVersion(connection);
        if (current > latest) {
            throw new StoreException("service store " + where + " has schema version " + current
                    + ", newer than this cless knows (" + latest + "): it was written by a later cless;"
                    + " upgrade cless to open it", null);
        }
        for (Migration migration : migrations.subList(current, latest)) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                for (String sql : migration.statements()) {
                    statement.executeUpdate(sql);
                }
                dialect.recordSchemaVersion(connection, migration.version());
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
            log.info("Service store {}: applied schema migration {} ({})", where, migration.version(),
                    migration.description());
        }
    }
}
