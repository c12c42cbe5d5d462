package cloud.cless.core.store;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Map;

/** Maps the rows of the service, revision and traffic tables to values and back, in portable JDBC. */
final class ServiceRows {
    static final String SERVICE_COLUMNS = "name, image_name, image_tag, upstream, port, host, env, min_instances,"
            + " max_instances, concurrency, idle_timeout_seconds, idle_action, startup_timeout_seconds,"
            + " readiness_path, memory_mb, cpus";
    static final String REVISION_COLUMNS = "service, number, created_at, image_name, image_tag, upstream, port, env,"
            + " readiness_path, memory_mb, cpus, last_served_at";
    static final String TRAFFIC_COLUMNS = "service, ordinal, revision, latest, percent, tag";

    private static final TypeReference<Map<String, String>> ENV_TYPE = new TypeReference<>() {
    };

    private final ObjectMapper json = new ObjectMapper();
    private final String where;

    /** @param where the database, for messages */
    ServiceRows(String where) {
        this.where = where;
    }

    /** Binds every service column but name, in {@link #SERVICE_COLUMNS} order, from parameter {@code first} on. */
    int bindServiceFields(PreparedStatement ps, int first, ServiceDefinition d) throws SQLException {
        int i = first;
        ps.setString(i++, d.imageName());
        ps.setString(i++, d.imageTag());
        ps.setString(i++, d.upstream());
        setInt(ps, i++, d.port());
        ps.setString(i++, d.host());
        ps.setString(i++, writeEnv(d.name(), d.env()));
        setInt(ps, i++, d.minInstances());
        setInt(ps, i++, d.maxInstances());
        setInt(ps, i++, d.concurrency());
        setInt(ps, i++, d.idleTimeoutSeconds());
        ps.setString(i++, d.idleAction() == null ? null : d.idleAction().wireName());
        setInt(ps, i++, d.startupTimeoutSeconds());
        ps.setString(i++, d.readinessPath());
        setInt(ps, i++, d.memoryMb());
        setDouble(ps, i++, d.cpus());
        return i;
    }

    /** The definition in the current row, without its traffic. */
    ServiceDefinition readService(ResultSet rs) throws SQLException {
        String name = rs.getString("name");
        String idleAction = rs.getString("idle_action");
        IdleAction action = idleAction == null ? null : IdleAction.fromWireName(idleAction);
        if (idleAction != null && action == null) {
            throw new StoreException("service store " + where + ": service '" + name
                    + "' has an unknown idle_action '" + idleAction + "'", null);
        }
        return ServiceDefinition.builder(name)
                .imageName(rs.getString("image_name"))
                .imageTag(rs.getString("image_tag"))
                .upstream(rs.getString("upstream"))
                .port(getInt(rs, "port"))
                .host(rs.getString("host"))
                .env(readEnv(name, rs.getString("env")))
                .minInstances(getInt(rs, "min_instances"))
                .maxInstances(getInt(rs, "max_instances"))
                .concurrency(getInt(rs, "concurrency"))
                .idleTimeoutSeconds(getInt(rs, "idle_timeout_seconds"))
                .idleAction(action)
                .startupTimeoutSeconds(getInt(rs, "startup_timeout_seconds"))
                .readinessPath(rs.getString("readiness_path"))
                .memoryMb(getInt(rs, "memory_mb"))
                .cpus(getDouble(rs, "cpus"))
                .build();
    }

    /** Binds a whole revision row in {@link #REVISION_COLUMNS} order. */
    void bindRevision(PreparedStatement ps, Revision r, Instant lastServed) throws SQLException {
        RevisionSpec spec = r.spec();
        int i = 1;
        ps.setString(i++, r.service());
        ps.setInt(i++, r.number());
        ps.setLong(i++, r.createdAt().toEpochMilli());
        ps.setString(i++, spec.imageName());
        ps.setString(i++, spec.imageTag());
        ps.setString(i++, spec.upstream());
        setInt(ps, i++, spec.port());
        ps.setString(i++, writeEnv(r.service(), spec.env()));
        ps.setString(i++, spec.readinessPath());
        setInt(ps, i++, spec.memoryMb());
        setDouble(ps, i++, spec.cpus());
        setInstant(ps, i, lastServed);
    }

    /** Sets the one mutable column of a stored revision. */
    static void updateLastServed(Connection connection, Revision r, Instant lastServed) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE revision SET last_served_at = ? WHERE service = ? AND number = ?")) {
            setInstant(ps, 1, lastServed);
            ps.setString(2, r.service());
            ps.setInt(3, r.number());
            ps.executeUpdate();
        }
    }

    Revision readRevision(ResultSet rs) throws SQLException {
        String service = rs.getString("service");
        RevisionSpec spec = new RevisionSpec(rs.getString("image_name"), rs.getString("image_tag"),
                rs.getString("upstream"), getInt(rs, "port"), readEnv(service, rs.getString("env")),
                rs.getString("readiness_path"), getInt(rs, "memory_mb"), getDouble(rs, "cpus"));
        return Revision.of(service, rs.getInt("number"), Instant.ofEpochMilli(rs.getLong("created_at")), spec);
    }

    static Instant readLastServed(ResultSet rs) throws SQLException {
        long millis = rs.getLong("last_served_at");
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    /** Binds a traffic row; {@code revisionNumber} is the number of the revision it names, or null for latest. */
    static void bindTraffic(PreparedStatement ps, String service, int ordinal, TrafficTarget t, Integer revisionNumber)
            throws SQLException {
        ps.setString(1, service);
        ps.setInt(2, ordinal);
        setInt(ps, 3, revisionNumber);
        ps.setInt(4, t.latest() ? 1 : 0);
        ps.setInt(5, t.percent());
        ps.setString(6, t.tag());
    }

    static TrafficTarget readTraffic(ResultSet rs) throws SQLException {
        Integer number = getInt(rs, "revision");
        String revision = number == null ? null : Revision.name(rs.getString("service"), number);
        return new TrafficTarget(revision, rs.getInt("latest") != 0, rs.getInt("percent"), rs.getString("tag"));
    }

    private String writeEnv(String service, Map<String, String> env) {
        try {
            return json.writeValueAsString(env);
        } catch (JsonProcessingException e) {
            throw new StoreException("service store " + where + ": cannot encode env of '" + service + "'", e);
        }
    }

    private Map<String, String> readEnv(String service, String text) {
        try {
            Map<String, String> env = json.readValue(text, ENV_TYPE);
            return env == null ? Map.of() : env;
        } catch (JsonProcessingException e) {
            throw new StoreException("service store " + where + ": env of service '" + service
                    + "' is not valid JSON", e);
        }
    }

    private static void setInt(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    private static void setDouble(PreparedStatement ps, int index, Double value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.DOUBLE);
        } else {
            ps.setDouble(index, value);
        }
    }

    private static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value.toEpochMilli());
        }
    }

    private static Integer getInt(ResultSet rs, String column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }

    private static Double getDouble(ResultSet rs, String column) throws SQLException {
        double value = rs.getDouble(column);
        return rs.wasNull() ? null : value;
    }
}
