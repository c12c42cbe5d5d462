package cloud.cless.core.store;

import cloud.cless.core.cluster.SqlWork;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Where a JDBC store takes the connection for each transaction: SQLite's one connection, one transaction at a
 * time, or a pooled one per transaction, so that a connection lost with a database restart is replaced by the
 * next transaction instead of failing every call after it.
 */
interface ConnectionSource extends AutoCloseable {

    /** Runs {@code work} on a connection it has for the call alone. */
    <T> T withConnection(SqlWork<T> work) throws SQLException;

    @Override
    void close() throws SQLException;

    /** The one connection, for one call at a time; closed with the source. */
    static ConnectionSource single(Connection connection) {
        return new ConnectionSource() {
            @Override
            public synchronized <T> T withConnection(SqlWork<T> work) throws SQLException {
                return work.run(connection);
            }

            @Override
            public synchronized void close() throws SQLException {
                connection.close();
            }
        };
    }

    /** A connection of {@code pool} per call, given back after it; the pool is closed with the source. */
    static ConnectionSource pooled(HikariDataSource pool) {
        return new ConnectionSource() {
            @Override
            public <T> T withConnection(SqlWork<T> work) throws SQLException {
                try (Connection connection = pool.getConnection()) {
                    return work.run(connection);
                }
            }

            @Override
            public void close() {
                pool.close();
            }
        };
    }
}
