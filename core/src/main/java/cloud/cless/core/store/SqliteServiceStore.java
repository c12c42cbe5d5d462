package cloud.cless.core.store;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The default store ({@code --store sqlite}): one SQLite file in the data directory, in WAL mode.
 * One connection serves every call, one call at a time; callers are on the blocking executor.
 */
public final class SqliteServiceStore implements ServiceStore {

    private static final int BUSY_TIMEOUT_MILLIS = 5_000;
    private static final int SQLITE_CONSTRAINT = 19;
    private static final TypeReference<Map<String, String>> ENV_TYPE = new TypeReference<>() {
    };
    private static final String COLUMNS = "name, image_name, image_tag, upstream, port, host, env, min_instances,"
            + " max_instances, concurrency, idle_timeout_seconds, idle_action, startup_timeout_seconds,"
            + " readiness_path, memory_mb, cpus";

    private final Path file;
    private final ObjectMapper json = new ObjectMapper();
    private final Connection connection;

    /** Opens (creating if needed) the database at {@code file} and brings its schema up to date. */
    public SqliteServiceStore(Path file) {
        this.file = file;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StoreException("cannot create the directory of service store " + file + ": " + e, e);
        }
        Connection opened = null;
        try {
            opened = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            configure(opened);
            SqliteSchema.migrate(opened, file);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(opened, e);
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot open service store " + file + ": " + e.getMessage(), e);
        }
        this.connection = opened;
    }

    private static void configure(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
            statement.execute("PRAGMA foreign_keys = ON");
            try (ResultSet rs = statement.executeQuery("PRAGMA journal_mode = WAL")) {
                String mode = rs.next() ? rs.getString(1) : null;
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new SQLException("could not switch to WAL journal mode (got " + mode + ")");
                }
            }
            // WAL makes NORMAL durable across application crashes; only a power loss can drop the last commit.
            statement.execute("PRAGMA synchronous = NORMAL");
        }
    }

    @Override
    public synchronized List<ServiceDefinition> list() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM service ORDER BY name");
             ResultSet rs = ps.executeQuery()) {
            List<ServiceDefinition> all = new ArrayList<>();
            while (rs.next()) {
                all.add(read(rs));
            }
            return all;
        } catch (SQLException e) {
            throw failure("list services", e);
        }
    }

    @Override
    public synchronized Optional<ServiceDefinition> get(String name) {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM service WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("read service '" + name + "'", e);
        }
    }

    @Override
    public synchronized void create(ServiceDefinition definition) {
        try {
            if (exists(definition.name())) {
                throw new DuplicateServiceException("name", "a service named '" + definition.name() + "' exists");
            }
            checkHostFree(definition);
            try (PreparedStatement ps = connection.prepareStatement(
                    "INSERT INTO service (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                bind(ps, definition);
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw translate("create service '" + definition.name() + "'", definition, e);
        }
    }

    @Override
    public synchronized void update(ServiceDefinition definition) {
        try {
            if (!exists(definition.name())) {
                throw new ServiceNotFoundException(definition.name());
            }
            checkHostFree(definition);
            try (PreparedStatement ps = connection.prepareStatement("UPDATE service SET image_name = ?,"
                    + " image_tag = ?, upstream = ?, port = ?, host = ?, env = ?, min_instances = ?,"
                    + " max_instances = ?, concurrency = ?, idle_timeout_seconds = ?, idle_action = ?,"
                    + " startup_timeout_seconds = ?, readiness_path = ?, memory_mb = ?, cpus = ? WHERE name = ?")) {
                bindFields(ps, 1, definition);
                ps.setString(16, definition.name());
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw translate("update service '" + definition.name() + "'", definition, e);
        }
    }

    @Override
    public synchronized boolean delete(String name) {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM service WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() > 0;
        } catch (SQLException e) {
            throw failure("delete service '" + name + "'", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw failure("close", e);
        }
    }

    private boolean exists(String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM service WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void checkHostFree(ServiceDefinition definition) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT name FROM service WHERE host = ? AND name <> ?")) {
            ps.setString(1, definition.host());
            ps.setString(2, definition.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw hostTaken(definition, rs.getString(1));
                }
            }
        }
    }

    private static DuplicateServiceException hostTaken(ServiceDefinition definition, String other) {
        return new DuplicateServiceException("host",
                "host '" + definition.host() + "' is used by service '" + other + "'");
    }

    private void bind(PreparedStatement ps, ServiceDefinition d) throws SQLException {
        ps.setString(1, d.name());
        bindFields(ps, 2, d);
    }

    /** Binds every column but name, in {@link #COLUMNS} order, from parameter {@code first} on. */
    private void bindFields(PreparedStatement ps, int first, ServiceDefinition d) throws SQLException {
        int i = first;
        ps.setString(i++, d.imageName());
        ps.setString(i++, d.imageTag());
        ps.setString(i++, d.upstream());
        setInt(ps, i++, d.port());
        ps.setString(i++, d.host());
        ps.setString(i++, writeEnv(d));
        setInt(ps, i++, d.minInstances());
        setInt(ps, i++, d.maxInstances());
        setInt(ps, i++, d.concurrency());
        setInt(ps, i++, d.idleTimeoutSeconds());
        ps.setString(i++, d.idleAction() == null ? null : d.idleAction().wireName());
        setInt(ps, i++, d.startupTimeoutSeconds());
        ps.setString(i++, d.readinessPath());
        setInt(ps, i++, d.memoryMb());
        if (d.cpus() == null) {
            ps.setNull(i, Types.REAL);
        } else {
            ps.setDouble(i, d.cpus());
        }
    }

    private ServiceDefinition read(ResultSet rs) throws SQLException {
        String name = rs.getString("name");
        String idleAction = rs.getString("idle_action");
        IdleAction action = idleAction == null ? null : IdleAction.fromWireName(idleAction);
        if (idleAction != null && action == null) {
            throw new StoreException("service store " + file + ": service '" + name
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

    private String writeEnv(ServiceDefinition d) {
        try {
            return json.writeValueAsString(d.env());
        } catch (JsonProcessingException e) {
            throw new StoreException("service store " + file + ": cannot encode env of '" + d.name() + "'", e);
        }
    }

    private Map<String, String> readEnv(String name, String text) {
        try {
            Map<String, String> env = json.readValue(text, ENV_TYPE);
            return env == null ? Map.of() : env;
        } catch (JsonProcessingException e) {
            throw new StoreException("service store " + file + ": env of service '" + name + "' is not valid JSON", e);
        }
    }

    private static void setInt(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
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

    /** A constraint the checks above did not see (another writer on the same file) still names the field. */
    private RuntimeException translate(String action, ServiceDefinition d, SQLException e) {
        if ((e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT && e.getMessage() != null) {
            if (e.getMessage().contains("service.host")) {
                return new DuplicateServiceException("host", "host '" + d.host() + "' is used by another service");
            }
            if (e.getMessage().contains("service.name")) {
                return new DuplicateServiceException("name", "a service named '" + d.name() + "' exists");
            }
        }
        return failure(action, e);
    }

    private StoreException failure(String action, SQLException e) {
        return new StoreException("service store " + file + ": cannot " + action + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(Connection connection, Exception failure) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
