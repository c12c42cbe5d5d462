package cloud.cless.core.cluster;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of JDBC work on a connection it borrows and does not close. */
@FunctionalInterface
public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
}
