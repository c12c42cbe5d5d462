package cloud.cless.core.store;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The services in a SQL database, in SQL that every supported database runs; what differs is the
 * {@link SqlDialect}'s. One connection serves every call, one call at a time, each in one transaction; callers
 * are on the blocking executor.
 */
abstract class JdbcServiceStore implements ServiceStore {

    private final Connection connection;
    private final SqlDialect dialect;
    private final String where;
    private final ServiceRows rows;

    /**
     * @param connection a configured connection whose schema is up to date; the store owns it from now on
     * @param where      the database for messages (a file path, a URL)
     */
    JdbcServiceStore(Connection connection, SqlDialect dialect, String where) {
        this.connection = connection;
        this.dialect = dialect;
        this.where = where;
        this.rows = new ServiceRows(where);
    }

    /** A transaction's work; SQL failures are translated once, by {@link #inTransaction}. */
    private interface Work<T> {
        T run() throws SQLException;
    }

    @Override
    public synchronized List<RegisteredService> list() {
        return inTransaction("list services", () -> read(null));
    }

    @Override
    public synchronized Optional<RegisteredService> get(String name) {
        return inTransaction("read service '" + name + "'", () -> read(name).stream().findFirst());
    }

    @Override
    public synchronized int lastRevisionNumber(String name) {
        return inTransaction("read the revision numbers of '" + name + "'", () -> {
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT last_number FROM revision_sequence WHERE service = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }

    @Override
    public synchronized void create(RegisteredService service) {
        ServiceDefinition d = service.definition();
        inTransaction("create service '" + d.name() + "'", () -> {
            if (exists(d.name())) {
                throw new DuplicateServiceException("name", "a service named '" + d.name() + "' exists");
            }
            checkHostFree(d);
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO service ("
                    + ServiceRows.SERVICE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, d.name());
                rows.bindServiceFields(ps, 2, d);
                ps.executeUpdate();
            }
            insertRevisions(service, service.revisions());
            insertTraffic(service);
            advanceSequence(service);
            return null;
        });
    }

    @Override
    public synchronized void update(RegisteredService service) {
        ServiceDefinition d = service.definition();
        inTransaction("update service '" + d.name() + "'", () -> {
            if (!exists(d.name())) {
                throw new ServiceNotFoundException(d.name());
            }
            checkHostFree(d);
            try (PreparedStatement ps = connection.prepareStatement("UPDATE service SET image_name = ?,"
                    + " image_tag = ?, upstream = ?, port = ?, host = ?, env = ?, min_instances = ?,"
                    + " max_instances = ?, concurrency = ?, idle_timeout_seconds = ?, idle_action = ?,"
                    + " startup_timeout_seconds = ?, readiness_path = ?, memory_mb = ?, cpus = ? WHERE name = ?")) {
                ps.setString(rows.bindServiceFields(ps, 1, d), d.name());
                ps.executeUpdate();
            }
            // The traffic goes first: its rows name revisions that may be deleted next.
            execute("DELETE FROM traffic WHERE service = ?", d.name());
            Set<Integer> stored = storedRevisionNumbers(d.name());
            List<Revision> added = new ArrayList<>();
            for (Revision r : service.revisions()) {
                if (stored.remove(r.number())) {
                    ServiceRows.updateLastServed(connection, r, service.lastServed().get(r.name()));
                } else {
                    added.add(r);
                }
            }
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM revision WHERE service = ? AND number = ?")) {
                for (int gone : stored) {
                    delete.setString(1, d.name());
                    delete.setInt(2, gone);
                    delete.addBatch();
                }
                delete.executeBatch();
            }
            insertRevisions(service, added);
            insertTraffic(service);
            advanceSequence(service);
            return null;
        });
    }

    @Override
    public synchronized boolean delete(String name) {
        return inTransaction("delete service '" + name + "'", () -> {
            execute("DELETE FROM traffic WHERE service = ?", name);
            execute("DELETE FROM revision WHERE service = ?", name);
            return execute("DELETE FROM service WHERE name = ?", name) > 0;
        });
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw failure("close", e);
        }
    }

    /** One service ({@code name}) or all of them (null), each with its revisions and traffic. */
    private List<RegisteredService> read(String name) throws SQLException {
        String filter = name == null ? "" : " WHERE name = ?";
        String serviceFilter = name == null ? "" : " WHERE service = ?";
        Map<String, ServiceDefinition> definitions = new LinkedHashMap<>();
        try (PreparedStatement ps = prepare("SELECT " + ServiceRows.SERVICE_COLUMNS + " FROM service" + filter
                + " ORDER BY name", name);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ServiceDefinition d = rows.readService(rs);
                definitions.put(d.name(), d);
            }
        }
        Map<String, List<Revision>> revisions = new HashMap<>();
        Map<String, Map<String, Instant>> lastServed = new HashMap<>();
        try (PreparedStatement ps = prepare("SELECT " + ServiceRows.REVISION_COLUMNS + " FROM revision"
                + serviceFilter + " ORDER BY service, number", name);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Revision r = rows.readRevision(rs);
                revisions.computeIfAbsent(r.service(), s -> new ArrayList<>()).add(r);
                Instant served = ServiceRows.readLastServed(rs);
                if (served != null) {
                    lastServed.computeIfAbsent(r.service(), s -> new HashMap<>()).put(r.name(), served);
                }
            }
        }
        Map<String, List<TrafficTarget>> traffic = new HashMap<>();
        try (PreparedStatement ps = prepare("SELECT " + ServiceRows.TRAFFIC_COLUMNS + " FROM traffic"
                + serviceFilter + " ORDER BY service, ordinal", name);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                traffic.computeIfAbsent(rs.getString("service"), s -> new ArrayList<>()).add(ServiceRows.readTraffic(rs));
            }
        }
        List<RegisteredService> services = new ArrayList<>(definitions.size());
        for (ServiceDefinition d : definitions.values()) {
            ServiceDefinition withTraffic = d.toBuilder().traffic(traffic.getOrDefault(d.name(), List.of())).build();
            try {
                services.add(new RegisteredService(withTraffic, revisions.getOrDefault(d.name(), List.of()),
                        lastServed.getOrDefault(d.name(), Map.of())));
            } catch (IllegalArgumentException e) {
                throw new StoreException("service store " + where + ": service '" + d.name()
                        + "' is inconsistent: " + e.getMessage(), e);
            }
        }
        return services;
    }

    private void insertRevisions(RegisteredService service, List<Revision> revisions) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO revision ("
                + ServiceRows.REVISION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Revision r : revisions) {
                rows.bindRevision(ps, r, service.lastServed().get(r.name()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void insertTraffic(RegisteredService service) throws SQLException {
        List<TrafficTarget> traffic = service.definition().traffic();
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO traffic ("
                + ServiceRows.TRAFFIC_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < traffic.size(); i++) {
                TrafficTarget t = traffic.get(i);
                Integer number = t.latest() ? null : service.revision(t.revision())
                        .map(Revision::number)
                        .orElseThrow(() -> new StoreException("service store " + where + ": traffic of '"
                                + service.name() + "' names " + t.revision() + ", which it does not have", null));
                ServiceRows.bindTraffic(ps, service.name(), i, t, number);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Raises the service's highest revision number ever to its latest revision's, never lowering it. */
    private void advanceSequence(RegisteredService service) throws SQLException {
        int latest = service.latest().number();
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE revision_sequence SET last_number = ? WHERE service = ? AND last_number < ?")) {
            update.setInt(1, latest);
            update.setString(2, service.name());
            update.setInt(3, latest);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO revision_sequence"
                + " (service, last_number) SELECT ?, ? WHERE NOT EXISTS"
                + " (SELECT 1 FROM revision_sequence WHERE service = ?)")) {
            insert.setString(1, service.name());
            insert.setInt(2, latest);
            insert.setString(3, service.name());
            insert.executeUpdate();
        }
    }

    private Set<Integer> storedRevisionNumbers(String service) throws SQLException {
        Set<Integer> numbers = new HashSet<>();
        try (PreparedStatement ps = prepare("SELECT number FROM revision WHERE service = ?", service);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                numbers.add(rs.getInt(1));
            }
        }
        return numbers;
    }

    private boolean exists(String name) throws SQLException {
        try (PreparedStatement ps = prepare("SELECT 1 FROM service WHERE name = ?", name);
             ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    private void checkHostFree(ServiceDefinition definition) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT name FROM service WHERE host = ? AND name <> ?")) {
            ps.setString(1, definition.host());
            ps.setString(2, definition.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw new DuplicateServiceException("host",
                            "host '" + definition.host() + "' is used by service '" + rs.getString(1) + "'");
                }
            }
        }
    }

    /** A statement with {@code parameter} bound first, when it is not null. */
    private PreparedStatement prepare(String sql, String parameter) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        if (parameter != null) {
            ps.setString(1, parameter);
        }
        return ps;
    }

    private int execute(String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = prepare(sql, parameter)) {
            return ps.executeUpdate();
        }
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when anything fails. */
    private <T> T inTransaction(String action, Work<T> work) {
        try {
            connection.setAutoCommit(false);
            try {
                T result = work.run();
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(e);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw translate(action, e);
        }
    }

    private void rollback(Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** A constraint the checks did not see (another writer on the same database) still names the field. */
    private RuntimeException translate(String action, SQLException e) {
        String column = dialect.violatedUnique(e);
        if (column != null) {
            return new DuplicateServiceException(column, "the " + column + " is used by another service");
        }
        return failure(action, e);
    }

    private StoreException failure(String action, SQLException e) {
        return new StoreException("service store " + where + ": cannot " + action + ": " + e.getMessage(), e);
    }
}
