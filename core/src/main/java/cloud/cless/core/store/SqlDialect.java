package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What differs between the databases {@link JdbcServiceStore} runs on: session set-up, the schema's DDL and where
 * its version is kept, how failures are told apart, and what a write does for other processes on the same
 * database (locks, notices). Everything else is shared SQL.
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
     * The field whose unique constraint {@code e} reports ({@code name}, or {@code host} for a service's host or a
     * claimed host), or null when {@code e} is another failure.
     */
    String violatedUnique(SQLException e);

    /** True when {@code e} means the database was not reached (the same call may work later). */
    boolean isUnavailable(SQLException e);

    /**
     * First thing in a write of service {@code name}: locks its rows until the transaction ends, against writers
     * in other processes that share the database, so that what the write reads next stays as it is.
     */
    void lockForWrite(Connection connection, String name) throws SQLException;

    /** Last thing in a write that changed service {@code name}, before the commit. */
    void written(Connection connection, String name) throws SQLException;
}
