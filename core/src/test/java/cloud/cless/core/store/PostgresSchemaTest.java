package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresSchemaTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    private static final Duration LOCK_WAIT = Duration.ofSeconds(30);

    @Test
    void aNewDatabaseGetsEveryMigrationOnce() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        PostgresSchema.migrate(endpoint, LOCK_WAIT);
        PostgresSchema.migrate(endpoint, LOCK_WAIT);
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            assertThat(PostgresSchema.currentVersion(connection)).isEqualTo(PostgresSchema.latestVersion());
            try (ResultSet rs = statement.executeQuery("SELECT count(*), min(version) FROM schema_migration")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(PostgresSchema.latestVersion());
                assertThat(rs.getInt(2)).isEqualTo(1);
            }
            statement.execute("SELECT nextval('change_seq')");
            statement.execute("SELECT id, name, address, started_at, reported_at, revisions FROM replica");
            statement.execute("SELECT service, ordinal, revision, latest, percent, tag FROM traffic");
            statement.execute("SELECT service, last_number FROM revision_sequence");
        }
    }

    @Test
    void theClusterIdIsMadeOnceAndEveryReplicaReadsTheSame() throws SQLException {
        String database = postgres.freshDatabase();
        PostgresEndpoint first = postgres.endpoint(database, "r1");
        PostgresEndpoint second = postgres.endpoint(database, "r2");
        PostgresSchema.migrate(first, LOCK_WAIT);
        PostgresSchema.migrate(second, LOCK_WAIT);

        String id = ClusterIdentity.read(first);

        assertThat(id).matches("[0-9a-f]{16}");
        assertThat(ClusterIdentity.read(second)).isEqualTo(id);
        PostgresEndpoint other = postgres.endpoint(postgres.freshDatabase(), "r3");
        PostgresSchema.migrate(other, LOCK_WAIT);
        assertThat(ClusterIdentity.read(other)).as("another cluster").isNotEqualTo(id);
        try (Connection connection = first.openDedicated("test");
             Statement statement = connection.createStatement()) {
            SQLException twoRows = catchSql(statement, "INSERT INTO cluster_identity (id) VALUES ('two')");
            assertThat(twoRows.getSQLState()).as("one row only").isEqualTo("23505");
        }
    }

    @Test
    void aBrokenUniqueConstraintNamesTheTakenField() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        PostgresSchema.migrate(endpoint, LOCK_WAIT);
        PostgresDialect dialect = new PostgresDialect();
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO service (name, host) VALUES ('hello', 'hello.localhost')");
            SQLException name = catchSql(statement, "INSERT INTO service (name, host) VALUES ('hello', 'h2')");
            assertThat(dialect.violatedUnique(name)).isEqualTo("name");
            SQLException host = catchSql(statement, "INSERT INTO service (name, host) VALUES ('b', 'hello.localhost')");
            assertThat(dialect.violatedUnique(host)).isEqualTo("host");
            SQLException other = catchSql(statement, "INSERT INTO revision_sequence VALUES ('x', 1), ('x', 2)");
            assertThat(dialect.violatedUnique(other)).isNull();
        }
    }

    @Test
    void theServiceTablesTakeRowsAsTheSqliteOnesDo() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        PostgresSchema.migrate(endpoint, LOCK_WAIT);
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO service (name, image_name, image_tag, port, host, env, min_instances,"
                    + " max_instances, idle_action, cpus) VALUES ('hello', 'cless-test/hello', 'latest', 8080,"
                    + " 'hello.localhost', '{\"GREETING\":\"hi\"}', 0, 1, 'stop', 1.5)");
            statement.execute("INSERT INTO revision (service, number, created_at, image_name, port, env,"
                    + " last_served_at) VALUES ('hello', 1, 1767225600000, 'cless-test/hello', 8080, '{}', NULL)");
            statement.execute("INSERT INTO traffic (service, ordinal, revision, latest, percent, tag)"
                    + " VALUES ('hello', 0, NULL, 1, 90, NULL), ('hello', 1, 1, 0, 10, 'canary')");
            statement.execute("INSERT INTO revision_sequence (service, last_number) VALUES ('hello', 1)");
            assertThat(catchSql(statement, "INSERT INTO traffic (service, ordinal, revision, latest, percent)"
                    + " VALUES ('hello', 2, 7, 0, 0)").getSQLState()).isEqualTo("23503"); // no revision 7
            assertThat(catchSql(statement, "INSERT INTO traffic (service, ordinal, revision, latest, percent)"
                    + " VALUES ('hello', 2, 1, 1, 0)").getSQLState()).isEqualTo("23514"); // latest names none
            try (ResultSet rs = statement.executeQuery("SELECT cpus, env FROM service")) {
                rs.next();
                assertThat(rs.getDouble(1)).isEqualTo(1.5);
                assertThat(rs.getString(2)).isEqualTo("{\"GREETING\":\"hi\"}");
            }
        }
    }

    private static SQLException catchSql(Statement statement, String sql) {
        try {
            statement.execute(sql);
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError("no failure from " + sql);
    }

    @Test
    void claimedHostsAreFilledFromTheServicesAndTagsStoredBefore() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        PostgresSchema.migrate(endpoint, LOCK_WAIT, new PostgresDialect(PostgresSchema.MIGRATIONS.subList(0, 2)));
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO service (name, host) VALUES ('hello', 'hello.localhost'),"
                    + " ('other', 'other.example.com')");
            statement.execute("INSERT INTO revision (service, number, created_at) VALUES ('hello', 1, 0),"
                    + " ('other', 1, 0)");
            statement.execute("INSERT INTO traffic (service, ordinal, revision, latest, percent, tag) VALUES"
                    + " ('hello', 0, NULL, 1, 100, 'next'), ('hello', 1, 1, 0, 0, 'old'), ('other', 0, NULL, 1, 100, NULL)");
            PostgresSchema.migrate(endpoint, LOCK_WAIT);
            List<String> claims = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery("SELECT host, service, tag FROM claimed_host ORDER BY host")) {
                while (rs.next()) {
                    claims.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                }
            }
            assertThat(claims).containsExactly("hello.localhost hello null", "next--hello.localhost hello next",
                    "old--hello.localhost hello old", "other.example.com other null");
        }
    }

    @Test
    void aSchemaNewerThanThisClessIsRefused() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        PostgresSchema.migrate(endpoint, LOCK_WAIT);
        int newer = PostgresSchema.latestVersion() + 1;
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO schema_migration (version) VALUES (" + newer + ")");
        }
        assertThatThrownBy(() -> PostgresSchema.migrate(endpoint, LOCK_WAIT))
                .isInstanceOf(StoreException.class)
                .isNotInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("schema version " + newer + ", newer than this cless knows")
                .hasMessageContaining("upgrade cless");
    }

    @Test
    void replicasMigratingTogetherApplyEachStepOnce() throws Exception {
        String url = postgres.freshDatabase();
        PostgresDialect dialect = new PostgresDialect(List.of(
                new Migration(1, "a table", List.of("CREATE TABLE step (n integer NOT NULL)")),
                // Slow enough that the others are surely waiting on the lock meanwhile.
                new Migration(2, "a slow row", List.of("DO $$ BEGIN PERFORM pg_sleep(0.3); END $$",
                        "INSERT INTO step VALUES (2)"))));
        int replicas = 4;
        CyclicBarrier together = new CyclicBarrier(replicas);
        ExecutorService threads = Executors.newFixedThreadPool(replicas);
        try {
            List<CompletableFuture<Void>> migrations = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                PostgresEndpoint endpoint = postgres.endpoint(url, "r" + i);
                migrations.add(CompletableFuture.runAsync(() -> {
                    await(together);
                    PostgresSchema.migrate(endpoint, LOCK_WAIT, dialect);
                }, threads));
            }
            for (CompletableFuture<Void> each : migrations) {
                each.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        try (Connection connection = postgres.endpoint(url, "check").openDedicated("test");
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT (SELECT count(*) FROM step),"
                     + " (SELECT count(*) FROM schema_migration)")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getInt(2)).isEqualTo(2);
        }
    }

    @Test
    void aFailedStepLeavesTheSchemaAsItWas() throws SQLException {
        String url = postgres.freshDatabase();
        PostgresEndpoint endpoint = postgres.endpoint(url, "r1");
        List<Migration> migrations = List.of(
                new Migration(1, "fine", List.of("CREATE TABLE one (n integer)")),
                new Migration(2, "broken", List.of("CREATE TABLE two (n integer)", "DELETE FROM nowhere")));
        assertThatThrownBy(() -> PostgresSchema.migrate(endpoint, LOCK_WAIT, new PostgresDialect(migrations)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("nowhere");
        try (Connection connection = endpoint.openDedicated("test");
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT to_regclass('one') IS NOT NULL, to_regclass('two') IS NULL")) {
            assertThat(PostgresSchema.currentVersion(connection)).isEqualTo(1);
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
            assertThat(rs.getBoolean(2)).isTrue();
        }
        // The lock was given back: another run goes ahead (and has nothing to do up to version 1).
        PostgresSchema.migrate(endpoint, LOCK_WAIT, new PostgresDialect(migrations.subList(0, 1)));
    }

    @Test
    void anotherReplicasLongMigrationIsWaitedForBoundedly() throws SQLException {
        PostgresEndpoint endpoint = postgres.endpoint(postgres.freshDatabase(), "r1");
        try (Connection holder = endpoint.openDedicated("test"); Statement statement = holder.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + AdvisoryLock.SCHEMA_MIGRATION.classId() + ", "
                    + AdvisoryLock.SCHEMA_MIGRATION.objectId() + ")");
            assertThatThrownBy(() -> PostgresSchema.migrate(endpoint, Duration.ofMillis(300)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("another cless has been migrating the schema");
        }
    }

    @Test
    void anUnreachableDatabaseIsAnUnavailableStore() {
        PostgresEndpoint endpoint = PostgresSupport.unreachableEndpoint("r1");
        assertThatThrownBy(() -> PostgresSchema.migrate(endpoint, LOCK_WAIT))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("migrate the schema of jdbc:postgresql://127.0.0.1:1/cless");
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
