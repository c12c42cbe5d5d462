package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data dir written by the release before revisions (schema version 1) opens with every service as its own
 * revision 1 and all of its traffic on the latest, nothing lost. The fixture {@code store/cless-v1.db} was written
 * by that release's {@code SqliteServiceStore}; it is copied, never opened in place.
 */
class SqliteSchemaUpgradeTest {
    /** What the fixture holds, field by field, as the release before revisions stored it. */
    private static final List<ServiceDefinition> V1_SERVICES = List.of(
            ServiceDefinition.builder("edge").upstream("127.0.0.1:9001").host("edge.localhost")
                    .minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                    .idleAction(IdleAction.STOP).startupTimeoutSeconds(30).build(),
            ServiceDefinition.builder("full").imageName("registry.io:5000/team/full").imageTag("v1.2-rc")
                    .port(9000).host("full.example.com")
                    .env(Map.of("GREETING", "hi", "EMPTY", "", "QUOTE", "say \"hi\"\\n\n\t",
                            "UNICODE", "grüße ☃ 日本語 😀"))
                    .minInstances(2).maxInstances(7).concurrency(64).idleTimeoutSeconds(90)
                    .idleAction(IdleAction.PAUSE).startupTimeoutSeconds(120).readinessPath("/healthz?x=1")
                    .memoryMb(512).cpus(1.5).build(),
            ServiceDefinition.builder("legacy--name").imageName("cless-test/hello").imageTag("latest")
                    .port(8080).host("legacy--name.localhost").minInstances(0).maxInstances(1).concurrency(0)
                    .idleTimeoutSeconds(300).idleAction(IdleAction.STOP).startupTimeoutSeconds(30).build(),
            ServiceDefinition.builder("sparse").host("sparse.localhost").build());

    @TempDir
    Path dir;

    private Path file;

    @BeforeEach
    void copyFixture() throws Exception {
        file = dir.resolve("cless.db");
        try (InputStream fixture = getClass().getResourceAsStream("/store/cless-v1.db")) {
            assertThat(fixture).as("fixture store/cless-v1.db").isNotNull();
            Files.copy(fixture, file);
        }
        assertThat(SqliteServiceStoreTest.pragma(file, "user_version")).isEqualTo("1");
    }

    @Test
    void everyServiceBecomesRevisionOneWithAllTrafficAndKeepsEveryField() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (SqliteServiceStore store = new SqliteServiceStore(file)) {
            Instant after = Instant.now();
            List<RegisteredService> services = store.list();
            assertThat(services).extracting(RegisteredService::name)
                    .containsExactly("edge", "full", "legacy--name", "sparse");
            for (int i = 0; i < services.size(); i++) {
                RegisteredService service = services.get(i);
                ServiceDefinition expected = V1_SERVICES.get(i).toBuilder().traffic(TrafficTarget.DEFAULT).build();
                assertThat(service.definition()).isEqualTo(expected);

                assertThat(service.revisions()).hasSize(1);
                Revision first = service.latest();
                assertThat(first.name()).isEqualTo(Revision.name(expected.name(), 1));
                assertThat(first.number()).isEqualTo(1);
                assertThat(first.spec()).isEqualTo(RevisionSpec.of(expected));
                assertThat(first.createdAt()).isBetween(before, after);
                // It has all of the traffic, so it served from the upgrade on.
                assertThat(service.traffic().percentOf(first.name())).isEqualTo(100);
                assertThat(service.lastServed()).containsOnlyKeys(first.name());
                assertThat(service.lastServed().get(first.name())).isBetween(before, after);
                assertThat(store.lastRevisionNumber(expected.name())).isEqualTo(1);
                assertThat(store.get(expected.name())).contains(service);
            }
        }
    }

    @Test
    void theUpgradedStoreRecordsTheNewVersionAndTakesNewRevisions() throws Exception {
        try (SqliteServiceStore store = new SqliteServiceStore(file)) {
            RegisteredService full = store.get("full").orElseThrow();
            ServiceDefinition v2 = full.definition().toBuilder().imageTag("v2").build();
            Revision second = Revision.of("full", 2, Instant.parse("2025-06-01T00:00:00Z"), RevisionSpec.of(v2));
            store.update(new RegisteredService(v2, List.of(full.latest(), second), full.lastServed()));
        }
        assertThat(SqliteServiceStoreTest.pragma(file, "user_version"))
                .isEqualTo(String.valueOf(SqliteSchema.MIGRATIONS.size()));
        try (SqliteServiceStore reopened = new SqliteServiceStore(file)) {
            RegisteredService full = reopened.get("full").orElseThrow();
            assertThat(full.revisions()).extracting(Revision::name).containsExactly("full-00001", "full-00002");
            assertThat(full.revisions().get(0).spec().imageTag()).isEqualTo("v1.2-rc");
            assertThat(full.traffic().percentOf("full-00002")).isEqualTo(100);
            assertThat(reopened.lastRevisionNumber("full")).isEqualTo(2);
        }
    }

    @Test
    void theHostsOfTheUpgradedServicesAreClaimed() {
        try (SqliteServiceStore store = new SqliteServiceStore(file)) {
            RegisteredService edge = store.get("edge").orElseThrow();
            ServiceDefinition taker = edge.definition().toBuilder().name("taker").build();
            assertThatThrownBy(() -> store.create(new RegisteredService(taker,
                    List.of(Revision.of("taker", 1, Instant.EPOCH, RevisionSpec.of(taker))), Map.of())))
                    .isInstanceOfSatisfying(DuplicateServiceException.class,
                            e -> assertThat(e.field()).isEqualTo("host"))
                    .hasMessageContaining("'edge'");
            // A tag of "name.localhost" named "legacy" would reach the host of the service "legacy--name".
            ServiceDefinition name = ServiceDefinition.builder("name").upstream("127.0.0.1:9002").host("name.localhost")
                    .traffic(List.of(TrafficTarget.latest(100).withTag("legacy"))).build();
            assertThatThrownBy(() -> store.create(new RegisteredService(name,
                    List.of(Revision.of("name", 1, Instant.EPOCH, RevisionSpec.of(name))), Map.of())))
                    .isInstanceOfSatisfying(DuplicateServiceException.class,
                            e -> assertThat(e.field()).isEqualTo("traffic[0].tag"))
                    .hasMessageContaining("'legacy--name'");
        }
    }
}
