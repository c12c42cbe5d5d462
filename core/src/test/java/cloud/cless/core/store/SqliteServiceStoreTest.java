package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteServiceStoreTest extends ServiceStoreContractTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("services.db");
    }

    @Override
    protected ServiceStore newStore() {
        return new SqliteServiceStore(file());
    }

    @Test
    void servicesSurviveReopen() {
        List<RegisteredService> written = List.of(service(everyFieldSet("full")),
                withTraffic(withRevision(service("hello"), 2, "img/two"),
                        TrafficTarget.to("hello-00001", 70).withTag("stable"), TrafficTarget.latest(30)),
                service(ServiceDefinition.builder("sparse").host("sparse.localhost").traffic(TrafficTarget.DEFAULT)
                        .build()));
        written.forEach(store::create);
        store.close();

        store = new SqliteServiceStore(file());
        assertThat(store.list()).containsExactlyElementsOf(written);
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(2);
        store.create(service("more"));
        assertThat(store.list()).hasSize(4);
    }

    @Test
    void missingParentDirectoriesAreCreated() {
        Path nested = dir.resolve("a/b/services.db");
        new SqliteServiceStore(nested).close();
        assertThat(nested).exists();
    }

    @Test
    void walModeIsOn() throws SQLException {
        assertThat(pragma(file(), "journal_mode")).isEqualTo("wal");
    }

    @Test
    void schemaVersionIsRecorded() throws SQLException {
        assertThat(pragma(file(), "user_version")).isEqualTo(String.valueOf(SqliteSchema.MIGRATIONS.size()));
        for (int i = 0; i < SqliteSchema.MIGRATIONS.size(); i++) {
            assertThat(SqliteSchema.MIGRATIONS.get(i).version()).isEqualTo(i + 1);
        }
    }

    @Test
    void reopeningDoesNotMigrateAgain() throws SQLException {
        store.create(service("hello"));
        store.close();
        store = new SqliteServiceStore(file());
        assertThat(pragma(file(), "user_version")).isEqualTo(String.valueOf(SqliteSchema.MIGRATIONS.size()));
        assertThat(store.get("hello")).contains(service("hello"));
    }

    @Test
    void aNewerSchemaIsRefusedWithAMessageThatSaysSo() throws SQLException {
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> store = new SqliteServiceStore(file()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("schema version 99")
                .hasMessageContaining("newer than this cless knows (" + SqliteSchema.MIGRATIONS.size() + ")")
                .hasMessageContaining("upgrade cless");
        // Refused, not touched: the version is still the newer one.
        assertThat(pragma(file(), "user_version")).isEqualTo("99");
        store = new MemoryServiceStore();
    }

    @Test
    void aFailureInTheMiddleOfAnUpdateRollsAllOfItBack() throws SQLException {
        RegisteredService hello = withTraffic(withRevision(service("hello"), 2, "img/two"),
                TrafficTarget.to("hello-00001", 100).withTag("stable"));
        store.create(hello);
        failInsertsOfTrafficTagged("boom");
        // A new revision, a deleted one, a new host and new traffic; the traffic's insert comes last and fails.
        RegisteredService three = withRevision(hello, 3, "img/three");
        RegisteredService changed = new RegisteredService(three.definition().toBuilder().host("moved.localhost")
                .traffic(List.of(TrafficTarget.latest(100).withTag("boom"))).build(),
                three.revisions().subList(1, 3), Map.of("hello-00003", T0));

        assertThatThrownBy(() -> store.update(changed))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("update service 'hello'")
                .hasMessageContaining("injected failure");
        assertThat(store.get("hello")).contains(hello);
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(2);
    }

    @Test
    void aFailureInTheMiddleOfACreateStoresNothing() throws SQLException {
        failInsertsOfTrafficTagged("boom");
        RegisteredService hello = withTraffic(service("hello"), TrafficTarget.latest(100).withTag("boom"));
        assertThatThrownBy(() -> store.create(hello)).isInstanceOf(StoreException.class)
                .hasMessageContaining("injected failure");
        assertThat(store.list()).isEmpty();
        assertThat(store.lastRevisionNumber("hello")).isZero();
        store.create(service("hello"));
        assertThat(store.get("hello")).contains(service("hello"));
    }

    @Test
    void theDatabaseRefusesTrafficForARevisionItDoesNotHave() throws SQLException {
        store.create(service("hello"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
             Statement s = c.createStatement()) {
            s.execute("PRAGMA foreign_keys = ON");
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO traffic (service, ordinal, revision, latest,"
                    + " percent, tag) VALUES ('hello', 1, 9, 0, 0, NULL)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("FOREIGN KEY");
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO traffic (service, ordinal, revision, latest,"
                    + " percent, tag) VALUES ('hello', 1, 1, 1, 0, NULL)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("CHECK");
        }
    }

    @Test
    void aFileThatIsNotADatabaseFailsWithItsPath() throws Exception {
        Path junk = dir.resolve("junk.db");
        Files.writeString(junk, "this is not a database, just some text that is long enough to be a header. "
                .repeat(20), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new SqliteServiceStore(junk))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(junk.toString());
    }

    @Test
    void aClosedStoreFailsWithItsPath() {
        store.close();
        assertThatThrownBy(() -> store.list())
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file().toString());
        store = new MemoryServiceStore();
    }

    @Test
    void revisionNamesFollowTheNumbersStored() {
        store.create(withRevision(service("hello"), 123_456, "img/big"));
        assertThat(store.get("hello").orElseThrow().revisions()).extracting(Revision::name)
                .containsExactly("hello-00001", "hello-123456");
    }

    /** A trigger that aborts any insert of a traffic row with {@code tag}: a failure after other writes. */
    private void failInsertsOfTrafficTagged(String tag) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
             Statement s = c.createStatement()) {
            s.execute("CREATE TRIGGER fail_traffic BEFORE INSERT ON traffic WHEN NEW.tag = '" + tag + "'"
                    + " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        }
    }

    static String pragma(Path file, String name) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
