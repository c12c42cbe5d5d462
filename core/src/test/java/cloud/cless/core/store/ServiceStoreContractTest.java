package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link ServiceStore} must have; a subclass supplies the store. */
public abstract class ServiceStoreContractTest {
    protected static final Instant T0 = Instant.parse("2025-01-02T03:04:05.678Z");

    protected ServiceStore store;

    /** A new, empty store. */
    protected abstract ServiceStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected static ServiceDefinition definition(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .idleAction(IdleAction.STOP).startupTimeoutSeconds(30).traffic(TrafficTarget.DEFAULT).build();
    }

    /** Every field set to a value that differs from the defaults. */
    protected static ServiceDefinition everyFieldSet(String name) {
        return ServiceDefinition.builder(name).imageName("registry.io:5000/team/" + name).imageTag("v1.2-rc")
                .upstream("127.0.0.1:9001").port(9000).host(name + ".example.com")
                .env(Map.of("GREETING", "hi", "EMPTY", "", "QUOTE", "say \"hi\"\\n\n\t"))
                .minInstances(2).maxInstances(7).concurrency(64).idleTimeoutSeconds(90)
                .idleAction(IdleAction.PAUSE).startupTimeoutSeconds(120).readinessPath("/healthz?x=1")
                .memoryMb(512).cpus(1.5).traffic(TrafficTarget.DEFAULT).build();
    }

    /** {@code def} as its revision {@code number}, made at {@code T0 + number} seconds. */
    protected static Revision revision(ServiceDefinition def, int number) {
        return Revision.of(def.name(), number, T0.plusSeconds(number), RevisionSpec.of(def));
    }

    /** A service with its first revision, all traffic to the latest, which served at {@code T0}. */
    protected static RegisteredService service(ServiceDefinition def) {
        Revision first = revision(def, 1);
        return new RegisteredService(def, List.of(first), Map.of(first.name(), T0));
    }

    protected static RegisteredService service(String name) {
        return service(definition(name));
    }

    /** {@code service} with another revision running {@code image}, made as number {@code number}. */
    protected static RegisteredService withRevision(RegisteredService service, int number, String image) {
        ServiceDefinition def = service.definition().toBuilder().imageName(image).build();
        List<Revision> revisions = new ArrayList<>(service.revisions());
        revisions.add(revision(def, number));
        return new RegisteredService(def, revisions, service.lastServed());
    }

    protected static RegisteredService withTraffic(RegisteredService service, TrafficTarget... traffic) {
        return new RegisteredService(service.definition().toBuilder().traffic(List.of(traffic)).build(),
                service.revisions(), service.lastServed());
    }

    protected static RegisteredService withDefinition(RegisteredService service, ServiceDefinition def) {
        return new RegisteredService(def, service.revisions(), service.lastServed());
    }

    @Test
    void emptyStoreListsNothing() {
        assertThat(store.list()).isEmpty();
        assertThat(store.get("nope")).isEmpty();
        assertThat(store.lastRevisionNumber("nope")).isZero();
    }

    @Test
    void createThenGet() {
        RegisteredService hello = service("hello");
        store.create(hello);
        assertThat(store.get("hello")).contains(hello);
        assertThat(store.get("other")).isEmpty();
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(1);
    }

    @Test
    void listIsSortedByName() {
        for (String name : List.of("charlie", "alpha", "bravo", "a-1")) {
            store.create(service(name));
        }
        assertThat(store.list()).extracting(RegisteredService::name)
                .containsExactly("a-1", "alpha", "bravo", "charlie");
    }

    @Test
    void updateReplacesEveryFieldOfTheDefinition() {
        store.create(service("hello"));
        RegisteredService changed = withDefinition(service("hello"), everyFieldSet("hello"));
        store.update(changed);
        assertThat(store.get("hello")).contains(changed);
        assertThat(store.list()).containsExactly(changed);
    }

    @Test
    void updateMayKeepItsOwnHost() {
        store.create(service("hello"));
        RegisteredService changed = withDefinition(service("hello"), definition("hello").toBuilder().minInstances(1).build());
        store.update(changed);
        assertThat(store.get("hello")).contains(changed);
    }

    @Test
    void updateFreesTheOldHost() {
        store.create(service("hello"));
        store.update(withDefinition(service("hello"), definition("hello").toBuilder().host("moved.localhost").build()));
        store.create(service(definition("other").toBuilder().host("hello.localhost").build()));
        assertThat(store.list()).extracting(s -> s.definition().host())
                .containsExactly("moved.localhost", "hello.localhost");
    }

    @Test
    void deleteRemovesTheServiceWithItsRevisionsAndTraffic() {
        store.create(withTraffic(withRevision(service("hello"), 2, "img/two"),
                TrafficTarget.to("hello-00001", 50), TrafficTarget.latest(50).withTag("next")));
        store.create(service("other"));
        assertThat(store.delete("hello")).isTrue();
        assertThat(store.get("hello")).isEmpty();
        assertThat(store.list()).extracting(RegisteredService::name).containsExactly("other");

        RegisteredService again = service(definition("hello"));
        store.create(again);
        assertThat(store.get("hello")).contains(again);
    }

    @Test
    void deleteOfMissingIsFalse() {
        assertThat(store.delete("nope")).isFalse();
        store.create(service("hello"));
        assertThat(store.delete("hello")).isTrue();
        assertThat(store.delete("hello")).isFalse();
    }

    @Test
    void duplicateNameIsRejected() {
        store.create(service("hello"));
        RegisteredService again = service(definition("hello").toBuilder().host("elsewhere.localhost").build());
        assertThatThrownBy(() -> store.create(again))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("name"))
                .hasMessageContaining("hello");
        assertThat(store.get("hello")).contains(service("hello"));
    }

    @Test
    void duplicateHostIsRejectedOnCreate() {
        store.create(service("hello"));
        RegisteredService clash = service(definition("other").toBuilder().host("hello.localhost").build());
        assertThatThrownBy(() -> store.create(clash))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("hello.localhost")
                .hasMessageContaining("'hello'");
        assertThat(store.get("other")).isEmpty();
        assertThat(store.lastRevisionNumber("other")).isZero();
    }

    @Test
    void duplicateHostIsRejectedOnUpdate() {
        store.create(service("hello"));
        store.create(service("other"));
        RegisteredService clash = withDefinition(service("other"),
                definition("other").toBuilder().host("hello.localhost").build());
        assertThatThrownBy(() -> store.update(clash))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("'hello'");
        assertThat(store.get("other")).contains(service("other"));
    }

    @Test
    void aFailedUpdateChangesNothing() {
        RegisteredService hello = withTraffic(withRevision(service("hello"), 2, "img/two"),
                TrafficTarget.to("hello-00001", 100).withTag("stable"));
        store.create(hello);
        store.create(service("other"));
        // Everything changes at once, but the host is taken: nothing of it may be stored.
        RegisteredService moved = withDefinition(withRevision(hello, 3, "img/three"),
                definition("hello").toBuilder().imageName("img/three").host("other.localhost")
                        .traffic(List.of(TrafficTarget.latest(100))).build());
        RegisteredService clash = new RegisteredService(moved.definition(),
                moved.revisions().subList(1, 3), Map.of("hello-00003", T0));
        assertThatThrownBy(() -> store.update(clash))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("'other'");
        assertThat(store.get("hello")).contains(hello);
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(2);
    }

    @Test
    void updateOfMissingNameFails() {
        assertThatThrownBy(() -> store.update(service("ghost")))
                .isInstanceOf(ServiceNotFoundException.class)
                .hasMessageContaining("ghost");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void envRoundTripsIncludingUnicode() {
        Map<String, String> env = Map.of(
                "PLAIN", "value",
                "EMPTY", "",
                "UNICODE", "grüße ☃ 日本語 😀",
                "JSONISH", "{\"a\": [1, 2]} \\ / \b\f\n\r\t",
                "CONTROL", "\u0001\u001f\u007f",
                "_lower_1", "x=y;z");
        store.create(service(definition("hello").toBuilder().env(env).build()));
        RegisteredService stored = store.get("hello").orElseThrow();
        assertThat(stored.definition().env()).isEqualTo(env);
        assertThat(stored.latest().spec().env()).isEqualTo(env);
        assertThat(store.list().get(0).definition().env()).isEqualTo(env);
    }

    @Test
    void emptyEnvRoundTrips() {
        store.create(service("hello"));
        assertThat(store.get("hello").orElseThrow().definition().env()).isEmpty();
        assertThat(store.get("hello").orElseThrow().latest().spec().env()).isEmpty();
    }

    @Test
    void everyNullableFieldMayBeNull() {
        ServiceDefinition sparse = ServiceDefinition.builder("sparse").host("sparse.localhost")
                .traffic(TrafficTarget.DEFAULT).build();
        Revision first = revision(sparse, 1);
        RegisteredService service = new RegisteredService(sparse, List.of(first), Map.of());
        store.create(service);
        assertThat(store.get("sparse")).contains(service);
        assertThat(store.get("sparse").orElseThrow().lastServed()).isEmpty();
    }

    @Test
    void everyFieldIsKept() {
        RegisteredService full = service(everyFieldSet("full"));
        store.create(full);
        assertThat(store.get("full")).contains(full);
        assertThat(store.get("full").orElseThrow().latest().spec()).isEqualTo(RevisionSpec.of(everyFieldSet("full")));
    }

    @Test
    void revisionsRoundTripOldestFirstWithTheirOwnSnapshots() {
        RegisteredService three = withRevision(withRevision(service(everyFieldSet("hello")), 2, "img/two"), 7,
                "img/seven");
        store.create(three);
        RegisteredService stored = store.get("hello").orElseThrow();
        assertThat(stored.revisions()).extracting(Revision::name)
                .containsExactly("hello-00001", "hello-00002", "hello-00007");
        assertThat(stored.revisions()).containsExactlyElementsOf(three.revisions());
        assertThat(stored.revisions().get(0).spec().imageName()).isEqualTo("registry.io:5000/team/hello");
        assertThat(stored.revisions().get(2).createdAt()).isEqualTo(T0.plusSeconds(7));
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(7);
    }

    @Test
    void oneUpdateAddsAndDeletesRevisionsAndReplacesTheTraffic() {
        store.create(withRevision(service("hello"), 2, "img/two"));
        RegisteredService stored = store.get("hello").orElseThrow();
        RegisteredService three = withRevision(stored, 3, "img/three");
        RegisteredService changed = withTraffic(new RegisteredService(three.definition(),
                        List.of(three.revisions().get(1), three.revisions().get(2)), Map.of()),
                TrafficTarget.to("hello-00002", 90), TrafficTarget.latest(10).withTag("canary"));
        store.update(changed);
        assertThat(store.get("hello")).contains(changed);
        assertThat(store.get("hello").orElseThrow().revisions()).extracting(Revision::number).containsExactly(2, 3);
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(3);
    }

    @Test
    void trafficRoundTripsInItsOrder() {
        RegisteredService hello = withTraffic(withRevision(withRevision(service("hello"), 2, "a"), 3, "b"),
                TrafficTarget.to("hello-00002", 60),
                TrafficTarget.latest(0).withTag("next"),
                TrafficTarget.to("hello-00001", 40).withTag("stable"),
                TrafficTarget.to("hello-00001", 0).withTag("old"),
                TrafficTarget.to("hello-00003", 0));
        store.create(hello);
        assertThat(store.get("hello").orElseThrow().definition().traffic())
                .containsExactlyElementsOf(hello.definition().traffic());
        assertThat(store.list().get(0)).isEqualTo(hello);
    }

    @Test
    void lastServedTimesRoundTripAndChange() {
        RegisteredService two = withRevision(service("hello"), 2, "img/two");
        Map<String, Instant> served = new HashMap<>();
        served.put("hello-00001", T0);
        store.create(new RegisteredService(two.definition(), two.revisions(), served));
        assertThat(store.get("hello").orElseThrow().lastServed()).containsOnly(Map.entry("hello-00001", T0));

        Instant later = T0.plusMillis(1_234);
        store.update(new RegisteredService(two.definition(), two.revisions(),
                Map.of("hello-00001", later, "hello-00002", later)));
        assertThat(store.get("hello").orElseThrow().lastServed())
                .containsOnly(Map.entry("hello-00001", later), Map.entry("hello-00002", later));
    }

    @Test
    void storedRevisionsAreImmutable() {
        store.create(service("hello"));
        Revision rewritten = Revision.of("hello", 1, T0.plusSeconds(99),
                RevisionSpec.of(definition("hello").toBuilder().imageName("img/other").build()));
        store.update(new RegisteredService(definition("hello"), List.of(rewritten), Map.of()));
        assertThat(store.get("hello").orElseThrow().latest()).isEqualTo(service("hello").latest());
    }

    @Test
    void revisionNumbersAreNotReusedAfterTheServiceIsDeleted() {
        store.create(withRevision(withRevision(service("hello"), 2, "a"), 3, "b"));
        store.delete("hello");
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(3);
        store.create(new RegisteredService(definition("hello"), List.of(revision(definition("hello"), 4)), Map.of()));
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(4);
        assertThat(store.get("hello").orElseThrow().latest().name()).isEqualTo("hello-00004");
    }

    @Test
    void aTagMayNotReachAnotherServicesHostNorAServiceTakeATagsHost() {
        store.create(service("hello"));
        store.create(service(definition("other").toBuilder().host("canary--hello.localhost").build()));
        RegisteredService tagged = withTraffic(service("hello"), TrafficTarget.latest(100),
                TrafficTarget.latest(0).withTag("canary"));
        assertThatThrownBy(() -> store.update(tagged))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("traffic[1].tag"))
                .hasMessageContaining("canary--hello.localhost")
                .hasMessageContaining("'other'");
        assertThat(store.get("hello")).contains(service("hello"));

        store.update(withTraffic(service("hello"), TrafficTarget.latest(100).withTag("beta")));
        RegisteredService third = service(definition("third").toBuilder().host("beta--hello.localhost").build());
        assertThatThrownBy(() -> store.create(third))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("'hello'");
        assertThat(store.get("third")).isEmpty();
    }

    @Test
    void hostsATagOrAServiceGaveUpMayBeTakenByAnother() {
        store.create(withTraffic(service("hello"), TrafficTarget.latest(100).withTag("beta")));
        store.create(service("gone"));
        store.update(service("hello"));
        store.delete("gone");
        RegisteredService beta = service(definition("beta").toBuilder().host("beta--hello.localhost").build());
        RegisteredService again = service(definition("again").toBuilder().host("gone.localhost").build());
        store.create(beta);
        store.create(again);
        assertThat(store.list()).containsExactly(again, beta, service("hello"));
    }

    @Test
    void aWriteIsPlannedFromWhatIsStored() {
        store.create(withRevision(service("hello"), 2, "img/two"));
        RegisteredService three = store.write("hello", (stored, last) -> {
            assertThat(stored).contains(withRevision(service("hello"), 2, "img/two"));
            assertThat(last).isEqualTo(2);
            RegisteredService next = withRevision(stored.orElseThrow(), last + 1, "img/three");
            return ServiceStore.Outcome.store(next, next);
        });
        assertThat(store.get("hello")).contains(three);
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(3);

        String seen = store.write("nope", (stored, last) -> ServiceStore.Outcome.delete(stored + " " + last));
        assertThat(seen).isEqualTo("Optional.empty 0");
        String deleted = store.write("hello", (stored, last) -> ServiceStore.Outcome.delete("deleted"));
        assertThat(deleted).isEqualTo("deleted");
        assertThat(store.get("hello")).isEmpty();
        int lastAfterDelete = store.write("hello", (stored, last) -> ServiceStore.Outcome.delete(last));
        assertThat(lastAfterDelete).isEqualTo(3);
    }

    @Test
    void whatAPlanThrowsAbortsTheWriteAndComesOutAsItWasThrown() {
        store.create(service("hello"));
        IllegalStateException refused = new IllegalStateException("refused by the plan");
        assertThatThrownBy(() -> store.write("hello", (stored, last) -> {
            throw refused;
        })).isSameAs(refused);
        assertThat(store.get("hello")).contains(service("hello"));
        store.update(withRevision(service("hello"), 2, "img/two"));
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(2);
    }

    @Test
    void aPlanMayOnlyStoreTheServiceItWasAskedFor() {
        assertThatThrownBy(() -> store.write("hello", (stored, last) -> ServiceStore.Outcome.store(service("other"),
                null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'other'");
        assertThat(store.list()).isEmpty();
    }
}
