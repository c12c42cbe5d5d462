package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What differs between the databases {@link JdbcServiceStore} runs on: session set-up, the schema's DDL and where
 * its version is kept, and how a broken unique constraint is reported. Everything else is shared SQL.
 */
interface SqlDialect {

    /** The database's name for messages, e.g. {@code SQLite}. */
    String name();

    /** Sets up a new connection (pragmas, session settings) before the schema is touched. */
    void configure(Connection connection) throws SQLException;

    /** The schema's migrations, oldest first, numbered from 1. */
    List<Migration> migrations();

    /** The version of the last migration applied, 0 for an empty database. */
    int schemaVersion(Connection connection) throws SQLException;

    /** Records {@code version} as applied, inside the migration's transaction. */
    void recordSchemaVersion(Connection connection, int version) throws SQLException;

    /**
     * The column of the service table whose unique constraint {@code e} reports ({@code name} or {@code host}),
     * or null when {@code e} is another failure.
     */
    String violatedUnique(SQLException e);
}
