package cloud.cless.core.store;

import cloud.cless.core.service.HostClaims;
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
import java.util.Set;
import java.util.TreeSet;

/**
 * The SQL of one service's rows, on a connection in a transaction the caller holds: the service, its revisions,
 * traffic and revision number, and the hosts it claims ({@code claimed_host}: its own and each tag's, one row
 * per host, so the primary key keeps a host to one service whoever writes). Portable SQL only.
 */
final class ServiceTables {
    private final ServiceRows rows;
    private final String where;

    /** @param where the database, for messages */
    ServiceTables(String where) {
        this.where = where;
        this.rows = new ServiceRows(where);
    }

    /** One service ({@code name}) or all of them (null), each with its revisions and traffic, sorted by name. */
    List<RegisteredService> read(Connection connection, String name) throws SQLException {
        String filter = name == null ? "" : " WHERE name = ?";
        String serviceFilter = name == null ? "" : " WHERE service = ?";
        Map<String, ServiceDefinition> definitions = new LinkedHashMap<>();
        try (PreparedStatement ps = prepare(connection, "SELECT " + ServiceRows.SERVICE_COLUMNS + " FROM service"
                + filter + " ORDER BY name", name);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ServiceDefinition d = rows.readService(rs);
                definitions.put(d.name(), d);
            }
        }
        if (definitions.isEmpty()) {
            return List.of();
        }
        Map<String, List<Revision>> revisions = new HashMap<>();
        Map<String, Map<String, Instant>> lastServed = new HashMap<>();
        try (PreparedStatement ps = prepare(connection, "SELECT " + ServiceRows.REVISION_COLUMNS + " FROM revision"
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
        try (PreparedStatement ps = prepare(connection, "SELECT " + ServiceRows.TRAFFIC_COLUMNS + " FROM traffic"
                + serviceFilter + " ORDER BY service, ordinal", name);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                traffic.computeIfAbsent(rs.getString("service"), s -> new ArrayList<>())
                        .add(ServiceRows.readTraffic(rs));
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

    int lastRevisionNumber(Connection connection, String name) throws SQLException {
        try (PreparedStatement ps = prepare(connection,
                "SELECT last_number FROM revision_sequence WHERE service = ?", name);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** Refuses {@code service} when one of its hosts is claimed by another service. */
    void checkHostsFree(Connection connection, RegisteredService service) throws SQLException {
        Set<String> hosts = HostClaims.of(service).keySet();
        Map<String, String> owners = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT host, service FROM claimed_host"
                + " WHERE service <> ? AND host IN (" + "?, ".repeat(hosts.size() - 1) + "?)")) {
            ps.setString(1, service.name());
            int i = 2;
            for (String host : hosts) {
                ps.setString(i++, host);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    owners.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        HostClaims.check(service, owners::get);
    }

    void insert(Connection connection, RegisteredService service) throws SQLException {
        ServiceDefinition d = service.definition();
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO service (" + ServiceRows.SERVICE_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, d.name());
            rows.bindServiceFields(ps, 2, d);
            ps.executeUpdate();
        }
        claimHosts(connection, service);
        insertRevisions(connection, service, service.revisions());
        insertTraffic(connection, service);
        advanceSequence(connection, service);
    }

    /** Replaces the stored rows of {@code service}; stored revisions keep all but their last-served time. */
    void replace(Connection connection, RegisteredService service) throws SQLException {
        ServiceDefinition d = service.definition();
        try (PreparedStatement ps = connection.prepareStatement("UPDATE service SET image_name = ?,"
                + " image_tag = ?, upstream = ?, port = ?, host = ?, env = ?, min_instances = ?,"
                + " max_instances = ?, concurrency = ?, idle_timeout_seconds = ?, idle_action = ?,"
                + " startup_timeout_seconds = ?, readiness_path = ?, memory_mb = ?, cpus = ? WHERE name = ?")) {
            ps.setString(rows.bindServiceFields(ps, 1, d), d.name());
            ps.executeUpdate();
        }
        claimHosts(connection, service);
        // The traffic goes first: its rows name revisions that may be deleted next.
        execute(connection, "DELETE FROM traffic WHERE service = ?", d.name());
        Set<Integer> stored = storedRevisionNumbers(connection, d.name());
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
        insertRevisions(connection, service, added);
        insertTraffic(connection, service);
        advanceSequence(connection, service);
    }

    /** Deletes the service's rows but its revision number, which outlives it. */
    void delete(Connection connection, String name) throws SQLException {
        execute(connection, "DELETE FROM traffic WHERE service = ?", name);
        execute(connection, "DELETE FROM revision WHERE service = ?", name);
        execute(connection, "DELETE FROM claimed_host WHERE service = ?", name);
        execute(connection, "DELETE FROM service WHERE name = ?", name);
    }

    /**
     * Makes the service's claimed hosts those of {@code service}: hosts it gave up are released, new ones
     * inserted in sorted order (so that two writers claiming several hosts each always wait in the same order).
     */
    private void claimHosts(Connection connection, RegisteredService service) throws SQLException {
        Map<String, String> wanted = HostClaims.of(service);
        Set<String> held = new HashSet<>();
        try (PreparedStatement ps = prepare(connection, "SELECT host FROM claimed_host WHERE service = ?",
                service.name());
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                held.add(rs.getString(1));
            }
        }
        try (PreparedStatement release = connection.prepareStatement("DELETE FROM claimed_host WHERE host = ?")) {
            for (String host : held) {
                if (!wanted.containsKey(host)) {
                    release.setString(1, host);
                    release.addBatch();
                }
            }
            release.executeBatch();
        }
        try (PreparedStatement claim = connection.prepareStatement(
                "INSERT INTO claimed_host (host, service, tag) VALUES (?, ?, ?)")) {
            for (String host : new TreeSet<>(wanted.keySet())) {
                if (!held.contains(host)) {
                    claim.setString(1, host);
                    claim.setString(2, service.name());
                    claim.setString(3, wanted.get(host));
                    claim.addBatch();
                }
            }
            claim.executeBatch();
        }
    }

    private void insertRevisions(Connection connection, RegisteredService service, List<Revision> revisions)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO revision ("
                + ServiceRows.REVISION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Revision r : revisions) {
                rows.bindRevision(ps, r, service.lastServed().get(r.name()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void insertTraffic(Connection connection, RegisteredService service) throws SQLException {
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
    private static void advanceSequence(Connection connection, RegisteredService service) throws SQLException {
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

    private static Set<Integer> storedRevisionNumbers(Connection connection, String service) throws SQLException {
        Set<Integer> numbers = new HashSet<>();
        try (PreparedStatement ps = prepare(connection, "SELECT number FROM revision WHERE service = ?", service);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                numbers.add(rs.getInt(1));
            }
        }
        return numbers;
    }

    /** A statement with {@code parameter} bound first, when it is not null. */
    private static PreparedStatement prepare(Connection connection, String sql, String parameter)
            throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        if (parameter != null) {
            ps.setString(1, parameter);
        }
        return ps;
    }

    private static void execute(Connection connection, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = prepare(connection, sql, parameter)) {
            ps.executeUpdate();
        }
    }
}
