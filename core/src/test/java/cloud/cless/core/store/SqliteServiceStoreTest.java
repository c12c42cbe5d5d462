package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.ServiceDefinition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
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
    void definitionsSurviveReopen() {
        List<ServiceDefinition> written = List.of(everyFieldSet("full"), service("hello"),
                ServiceDefinition.builder("sparse").host("sparse.localhost").build());
        written.forEach(store::create);
        store.close();

        store = new SqliteServiceStore(file());
        assertThat(store.list()).containsExactlyElementsOf(written);
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
        assertThat(pragma("journal_mode")).isEqualTo("wal");
    }

    @Test
    void schemaVersionIsRecorded() throws SQLException {
        assertThat(SqliteSchema.LATEST_VERSION).isEqualTo(SqliteSchema.MIGRATIONS.size());
        assertThat(pragma("user_version")).isEqualTo(String.valueOf(SqliteSchema.LATEST_VERSION));
        for (int i = 0; i < SqliteSchema.MIGRATIONS.size(); i++) {
            assertThat(SqliteSchema.MIGRATIONS.get(i).version()).isEqualTo(i + 1);
        }
    }

    @Test
    void reopeningDoesNotMigrateAgain() throws SQLException {
        store.create(service("hello"));
        store.close();
        store = new SqliteServiceStore(file());
        assertThat(pragma("user_version")).isEqualTo("1");
        assertThat(store.get("hello")).isPresent();
    }

    @Test
    void aNewerSchemaIsRefused() throws SQLException {
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> store = new SqliteServiceStore(file()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("99");
        store = new MemoryServiceStore();
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

    private String pragma(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
