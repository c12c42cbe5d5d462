package cloud.cless.core.store;

import cloud.cless.core.cluster.SqlWork;
import cloud.cless.core.service.RegisteredService;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The services in a SQL database, in SQL that every supported database runs ({@link ServiceTables}); what differs
 * is the {@link SqlDialect}'s. Each call is one transaction on a connection of its {@link ConnectionSource}; a
 * write locks the service's rows first ({@link SqlDialect#lockForWrite}) and plans from what it reads after, so
 * that writers in other processes sharing the database wait for each other. Callers are on the blocking executor.
 */
abstract class JdbcServiceStore implements ServiceStore {

    private final ConnectionSource connections;
    private final SqlDialect dialect;
    private final String where;
    private final ServiceTables tables;

    /**
     * @param connections connections to a database whose schema is up to date; the store owns them from now on
     * @param where       the database for messages (a file path, a redacted URL)
     */
    JdbcServiceStore(ConnectionSource connections, SqlDialect dialect, String where) {
        this.connections = connections;
        this.dialect = dialect;
        this.where = where;
        this.tables = new ServiceTables(where);
    }

    @Override
    public List<RegisteredService> list() {
        return inTransaction("list services", null, c -> tables.read(c, null));
    }

    @Override
    public Optional<RegisteredService> get(String name) {
        return inTransaction("read service '" + name + "'", name,
                c -> tables.read(c, name).stream().findFirst());
    }

    @Override
    public int lastRevisionNumber(String name) {
        return inTransaction("read the revision numbers of '" + name + "'", name,
                c -> tables.lastRevisionNumber(c, name));
    }

    @Override
    public <T> T write(String name, Plan<T> plan) {
        return inTransaction("write service '" + name + "'", name, c -> {
            dialect.lockForWrite(c, name);
            RegisteredService stored = tables.read(c, name).stream().findFirst().orElse(null);
            Outcome<T> outcome = plan.plan(Optional.ofNullable(stored), tables.lastRevisionNumber(c, name));
            RegisteredService service = outcome.service();
            if (Objects.equals(service, stored)) {
                return outcome.value();
            }
            String action = (service == null ? "delete" : stored == null ? "create" : "update")
                    + " service '" + name + "'";
            try {
                if (service == null) {
                    tables.delete(c, name);
                } else {
                    StoredRevisions.checkName(name, service);
                    tables.checkHostsFree(c, service);
                    if (stored == null) {
                        tables.insert(c, service);
                    } else {
                        tables.replace(c, service);
                    }
                }
                dialect.written(c, name);
            } catch (SQLException e) {
                throw translate(action, name, e);
            }
            return outcome.value();
        });
    }

    @Override
    public void close() {
        try {
            connections.close();
        } catch (SQLException e) {
            throw translate("close", null, e);
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when anything fails.
     *
     * @param name the service the work is about, or null
     */
    private <T> T inTransaction(String action, String name, SqlWork<T> work) {
        try {
            return connections.withConnection(connection -> {
                connection.setAutoCommit(false);
                try {
                    T result = work.run(connection);
                    connection.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollback(connection, e);
                    throw e;
                } finally {
                    restoreAutoCommit(connection);
                }
            });
        } catch (SQLException e) {
            throw translate(action, name, e);
        }
    }

    private static void rollback(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            // A broken connection: the pool replaces it, SQLite's is reported by the next call.
        }
    }

    /**
     * A unique constraint the checks did not see (another writer committed in between) still names the field;
     * a database that cannot be reached is {@link StoreUnavailableException}.
     */
    private RuntimeException translate(String action, String name, SQLException e) {
        String field = dialect.violatedUnique(e);
        if ("name".equals(field) && name != null) {
            return DuplicateServiceException.name(name);
        }
        if (field != null) {
            return new DuplicateServiceException(field, "the " + field + " is used by another service");
        }
        if (dialect.isUnavailable(e)) {
            return new StoreUnavailableException("service store " + where + " is unreachable: cannot " + action
                    + ": " + DatabaseFailures.reason(e), e);
        }
        return new StoreException("service store " + where + ": cannot " + action + ": " + e.getMessage(), e);
    }
}
