package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store's schema up to date from an ordered list of {@link SchemaMigration}s, each in a transaction of its
 * own, and refuses a database whose schema is newer than this cless knows. The same runner serves every database;
 * what differs is only where the version is recorded ({@link SchemaHistory}).
 */
public final class SchemaMigrator {
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);

    private final String store;
    private final List<SchemaMigration> migrations;
    private final SchemaHistory history;

    /**
     * @param store names the database in messages (a file, a redacted URL)
     * @param migrations numbered 1, 2, 3... in order
     */
    public SchemaMigrator(String store, List<SchemaMigration> migrations, SchemaHistory history) {
        for (int i = 0; i < migrations.size(); i++) {
            if (migrations.get(i).version() != i + 1) {
                throw new IllegalArgumentException("migration " + (i + 1) + " of " + store + " is numbered "
                        + migrations.get(i).version());
            }
        }
        this.store = store;
        this.migrations = List.copyOf(migrations);
        this.history = history;
    }

    public int latestVersion() {
        return migrations.size();
    }

    /** Applies every migration newer than the database's version; returns how many it applied. */
    public int migrate(Connection connection) throws SQLException {
        history.prepare(connection);
        int current = history.currentVersion(connection);
        if (current > latestVersion()) {
            throw new StoreException("service store " + store + " has schema version " + current
                    + ", newer than this cless knows (" + latestVersion() + "); upgrade cless", null);
        }
        boolean autoCommit = connection.getAutoCommit();
        try {
            for (SchemaMigration migration : migrations.subList(current, latestVersion())) {
                apply(connection, migration);
            }
        } finally {
            connection.setAutoCommit(autoCommit);
        }
        return latestVersion() - current;
    }

    private void apply(Connection connection, SchemaMigration migration) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            for (String sql : migration.statements()) {
                statement.execute(sql);
            }
            history.recordApplied(connection, migration);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
        log.info("Service store {}: applied schema migration {} ({})", store, migration.version(),
                migration.description());
    }
}
