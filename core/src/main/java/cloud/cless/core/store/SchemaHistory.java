package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.SQLException;

/** Where a database records the last schema migration applied to it (a table, SQLite's user_version...). */
public interface SchemaHistory {

    /** Makes sure the record exists (e.g. creates the history table); runs before every migration run. */
    void prepare(Connection connection) throws SQLException;

    /** The version of the last migration applied; 0 for a new database. */
    int currentVersion(Connection connection) throws SQLException;

    /** Records {@code migration} as applied, inside the transaction that applied it. */
    void recordApplied(Connection connection, SchemaMigration migration) throws SQLException;
}
