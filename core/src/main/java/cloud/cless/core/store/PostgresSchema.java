package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * The PostgreSQL schema of the shared store as an ordered list of migrations, in the shape of SQLite's
 * ({@link SqliteSchema}) and applied by the same {@link SchemaMigrator}; {@link PostgresDialect} records the
 * version. Replicas starting together migrate one at a time, under an advisory lock. A later version of cless
 * appends migrations here and never edits applied ones.
 *
 * <p>The service tables hold what SQLite's hold, in the same columns and types (times in epoch milliseconds, env
 * as JSON text), so that one SQL layer serves both.
 */
public final class PostgresSchema {
    static final String SERVICE_NAME_KEY = "service_pkey";
    static final String SERVICE_HOST_KEY = "service_host_key";
    static final String CLAIMED_HOST_KEY = "claimed_host_pkey";

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "the service store: services, their revisions and traffic, revision numbers", List.of(
                    """
                    CREATE TABLE service (
                        name                    text             NOT NULL CONSTRAINT %s PRIMARY KEY,
                        image_name              text,
                        image_tag               text,
                        upstream                text,
                        port                    integer,
                        host                    text             NOT NULL CONSTRAINT %s UNIQUE,
                        env                     text             NOT NULL DEFAULT '{}',
                        min_instances           integer,
                        max_instances           integer,
                        concurrency             integer,
                        idle_timeout_seconds    integer,
                        idle_action             text,
                        startup_timeout_seconds integer,
                        readiness_path          text,
                        memory_mb               integer,
                        cpus                    double precision
                    )""".formatted(SERVICE_NAME_KEY, SERVICE_HOST_KEY), """
                    CREATE TABLE revision (
                        service        text             NOT NULL REFERENCES service (name),
                        number         integer          NOT NULL CHECK (number > 0),
                        created_at     bigint           NOT NULL,
                        image_name     text,
                        image_tag      text,
                        upstream       text,
                        port           integer,
                        env            text             NOT NULL DEFAULT '{}',
                        readiness_path text,
                        memory_mb      integer,
                        cpus           double precision,
                        last_served_at bigint,
                        PRIMARY KEY (service, number)
                    )""", """
                    CREATE TABLE traffic (
                        service  text    NOT NULL REFERENCES service (name),
                        ordinal  integer NOT NULL,
                        revision integer,
                        latest   integer NOT NULL CHECK (latest IN (0, 1)),
                        percent  integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
                        tag      text,
                        PRIMARY KEY (service, ordinal),
                        FOREIGN KEY (service, revision) REFERENCES revision (service, number),
                        CHECK ((revision IS NULL) = (latest = 1))
                    )""", """
                    CREATE TABLE revision_sequence (
                        service     text    NOT NULL PRIMARY KEY,
                        last_number integer NOT NULL
                    )""")),
            new Migration(2, "cluster coordination: the change sequence and replica reports", List.of(
                    // Numbers every change announced on the change feed (cluster.ChangeNotices).
                    "CREATE SEQUENCE change_seq",
                    """
                    CREATE TABLE replica (
                        id          text        NOT NULL PRIMARY KEY,
                        name        text        NOT NULL,
                        address     text        NOT NULL,
                        started_at  timestamptz NOT NULL,
                        reported_at timestamptz NOT NULL,
                        revisions   jsonb       NOT NULL DEFAULT '{}'
                    )""")),
            new Migration(3, "claimed hosts: every host a service is reached at, its own and its tags'",
                    SqliteSchema.claimedHosts("text")),
            new Migration(4, "the cluster's id: what every replica labels the Swarm services it makes with", List.of(
                    """
                    CREATE TABLE cluster_identity (
                        only_row   boolean     NOT NULL PRIMARY KEY DEFAULT true CHECK (only_row),
                        id         text        NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now()
                    )""",
                    // 16 hex digits, as a data directory's installation id.
                    "INSERT INTO cluster_identity (id) VALUES"
                            + " (substr(md5(random()::text || clock_timestamp()::text), 1, 16))")));

    private static final Duration LOCK_POLL = Duration.ofMillis(100);

    private PostgresSchema() {
    }

    /** The version this cless brings a database to. */
    public static int latestVersion() {
        return MIGRATIONS.size();
    }

    /**
     * Brings the schema of the endpoint's database up to date, on a connection of its own, while holding the
     * advisory lock {@link AdvisoryLock#SCHEMA_MIGRATION}; waits at most {@code lockWait} for another replica's
     * migration to finish.
     *
     * @throws StoreUnavailableException when the database cannot be reached
     * @throws StoreException when the schema is newer than this cless knows, a migration fails, or the lock is
     *     not had in time
     */
    public static void migrate(PostgresEndpoint endpoint, Duration lockWait) {
        migrate(endpoint, lockWait, new PostgresDialect());
    }

    static void migrate(PostgresEndpoint endpoint, Duration lockWait, SqlDialect dialect) {
        try (Connection connection = endpoint.openDedicated("schema migration")) {
            lock(connection, endpoint, lockWait);
            try {
                SchemaMigrator.migrate(connection, dialect, endpoint.redactedUrl());
            } finally {
                unlock(connection);
            }
        } catch (SQLException e) {
            throw DatabaseFailures.translate("migrate the schema of " + endpoint.redactedUrl(), e);
        }
    }

    /** The schema version of the database on {@code connection}; 0 when it has none. */
    public static int currentVersion(Connection connection) throws SQLException {
        return new PostgresDialect().schemaVersion(connection);
    }

    private static void lock(Connection connection, PostgresEndpoint endpoint, Duration wait) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        AdvisoryLock lock = AdvisoryLock.SCHEMA_MIGRATION;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            ps.setInt(1, lock.classId());
            ps.setInt(2, lock.objectId());
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new StoreException("another cless has been migrating the schema of "
                            + endpoint.redactedUrl() + " for over " + wait.toMillis() + " ms (it holds advisory lock "
                            + lock.classId() + "/" + lock.objectId() + "); try again once it is done", null);
                }
                sleep(LOCK_POLL);
            }
        }
    }

    private static void unlock(Connection connection) throws SQLException {
        AdvisoryLock lock = AdvisoryLock.SCHEMA_MIGRATION;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
            ps.setInt(1, lock.classId());
            ps.setInt(2, lock.objectId());
            ps.execute();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting to migrate the schema", e);
        }
    }
}
