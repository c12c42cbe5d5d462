package cloud.cless.core.store;

import cloud.cless.core.service.TagHost;
import java.util.List;

/**
 * The SQLite schema as an ordered list of migrations; {@code PRAGMA user_version} records the last one applied.
 * A later version of cless appends migrations here and never edits applied ones.
 */
final class SqliteSchema {

    /** Now in epoch milliseconds, as SQLite computes it inside a migration. */
    private static final String NOW_MILLIS = "CAST(strftime('%s', 'now') AS INTEGER) * 1000";

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "create the service table", List.of("""
                    CREATE TABLE service (
                        name                    TEXT    NOT NULL PRIMARY KEY,
                        image_name              TEXT,
                        image_tag               TEXT,
                        upstream                TEXT,
                        port                    INTEGER,
                        host                    TEXT    NOT NULL UNIQUE,
                        env                     TEXT    NOT NULL DEFAULT '{}',
                        min_instances           INTEGER,
                        max_instances           INTEGER,
                        concurrency             INTEGER,
                        idle_timeout_seconds    INTEGER,
                        idle_action             TEXT,
                        startup_timeout_seconds INTEGER,
                        readiness_path          TEXT,
                        memory_mb               INTEGER,
                        cpus                    REAL
                    )""")),
            // Every existing service becomes its own revision 1 with all of the traffic; the service rows stay
            // as they are (they keep the definition, whose container fields are those of the latest revision).
            new Migration(2, "revisions and traffic: every service becomes revision 1 with all traffic", List.of("""
                    CREATE TABLE revision (
                        service        TEXT    NOT NULL REFERENCES service (name),
                        number         INTEGER NOT NULL CHECK (number > 0),
                        created_at     INTEGER NOT NULL,
                        image_name     TEXT,
                        image_tag      TEXT,
                        upstream       TEXT,
                        port           INTEGER,
                        env            TEXT    NOT NULL DEFAULT '{}',
                        readiness_path TEXT,
                        memory_mb      INTEGER,
                        cpus           REAL,
                        last_served_at INTEGER,
                        PRIMARY KEY (service, number)
                    )""", """
                    CREATE TABLE traffic (
                        service  TEXT    NOT NULL REFERENCES service (name),
                        ordinal  INTEGER NOT NULL,
                        revision INTEGER,
                        latest   INTEGER NOT NULL CHECK (latest IN (0, 1)),
                        percent  INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
                        tag      TEXT,
                        PRIMARY KEY (service, ordinal),
                        FOREIGN KEY (service, revision) REFERENCES revision (service, number),
                        CHECK ((revision IS NULL) = (latest = 1))
                    )""", """
                    CREATE TABLE revision_sequence (
                        service     TEXT    NOT NULL PRIMARY KEY,
                        last_number INTEGER NOT NULL
                    )""", """
                    INSERT INTO revision (service, number, created_at, image_name, image_tag, upstream, port, env,
                                          readiness_path, memory_mb, cpus, last_served_at)
                    SELECT name, 1, %1$s, image_name, image_tag, upstream, port, env, readiness_path, memory_mb,
                           cpus, %1$s
                    FROM service""".formatted(NOW_MILLIS), """
                    INSERT INTO traffic (service, ordinal, revision, latest, percent, tag)
                    SELECT name, 0, NULL, 1, 100, NULL FROM service""", """
                    INSERT INTO revision_sequence (service, last_number) SELECT name, 1 FROM service""")),
            new Migration(3, "claimed hosts: every host a service is reached at, its own and its tags'",
                    claimedHosts("TEXT")));

    /**
     * The {@code claimed_host} table, filled from the services and tags stored: one row per host, whose primary
     * key keeps a host, a service's own or a tag's, to one service. The same statements for both databases.
     */
    static List<String> claimedHosts(String text) {
        return List.of("""
                CREATE TABLE claimed_host (
                    host    %1$s NOT NULL PRIMARY KEY,
                    service %1$s NOT NULL REFERENCES service (name),
                    tag     %1$s
                )""".formatted(text),
                "CREATE INDEX claimed_host_service ON claimed_host (service)",
                "INSERT INTO claimed_host (host, service, tag) SELECT host, name, NULL FROM service",
                """
                INSERT INTO claimed_host (host, service, tag)
                SELECT t.tag || '%s' || s.host, s.name, t.tag
                FROM traffic t JOIN service s ON s.name = t.service
                WHERE t.tag IS NOT NULL""".formatted(TagHost.SEPARATOR));
    }

    private SqliteSchema() {
    }
}
