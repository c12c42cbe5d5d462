package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.store.DuplicateServiceException;
import cloud.cless.core.store.MemoryServiceStore;
import cloud.cless.core.store.ServiceNotFoundException;
import cloud.cless.core.store.ServiceStore;
import cloud.cless.core.store.SqliteServiceStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry through its futures: revisions, traffic, retention, and what listeners are told, in order. */
class ServiceRegistryTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-05-05T05:05:05.555Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final ExecutorService blocking = Executors.newSingleThreadExecutor();
    private final List<ServiceStore> stores = new ArrayList<>();
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() throws InterruptedException {
        stores.forEach(ServiceStore::close);
        blocking.shutdown();
        assertThat(blocking.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private ServiceRegistry registry(ServiceStore store, int history) {
        stores.add(store);
        ServiceRegistry registry = new ServiceRegistry(store, new ServiceValidator(), Revisions.DEFAULTS, blocking,
                CLOCK, history);
        registry.addListener(new Recorder());
        registry.load();
        return registry;
    }

    private ServiceRegistry registry() {
        return registry(new MemoryServiceStore(), 10);
    }

    private static <T> T await(CompletableFuture<T> future) {
        return future.orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static Throwable failure(CompletableFuture<?> future) {
        assertThatThrownBy(() -> await(future)).isInstanceOf(CompletionException.class);
        return future.handle((v, e) -> e.getCause()).join();
    }

    private static ServiceDefinition request(String tag) {
        return ServiceDefinition.builder("hello").imageName("cless-test/hello").imageTag(tag).build();
    }

    /** Writes every call down, with the immutable values it carried. */
    private final class Recorder implements ServiceListener {
        @Override
        public void serviceCreated(ServiceDefinition definition) {
            events.add("serviceCreated " + definition.name());
        }

        @Override
        public void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
            events.add("serviceUpdated " + previous.imageTag() + "->" + current.imageTag());
        }

        @Override
        public void serviceDeleted(ServiceDefinition definition) {
            events.add("serviceDeleted " + definition.name());
        }

        @Override
        public void revisionCreated(RegisteredService service, Revision revision) {
            assertThat(service.latest()).isEqualTo(revision);
            events.add("revisionCreated " + revision.name() + " " + revision.spec().imageTag());
        }

        @Override
        public void trafficChanged(RegisteredService previous, RegisteredService current) {
            events.add("trafficChanged " + (previous == null ? "-" : previous.traffic()) + " => "
                    + current.traffic());
        }

        @Override
        public void revisionDeleted(RegisteredService service, Revision revision) {
            assertThat(service.revision(revision.name())).isEmpty();
            events.add("revisionDeleted " + revision.name());
        }
    }

    @Test
    void creatingAServiceMakesRevisionOneAndTellsListenersInOrder() {
        ServiceRegistry registry = registry();
        RegisteredService created = await(registry.create(request("v1")));
        assertThat(created.latest().name()).isEqualTo("hello-00001");
        assertThat(created.latest().createdAt()).isEqualTo(CLOCK.instant());
        assertThat(created.definition().traffic()).isEqualTo(TrafficTarget.DEFAULT);
        assertThat(registry.get("hello")).contains(created.definition());
        assertThat(registry.service("hello")).contains(created);
        assertThat(registry.services()).containsExactly(created);
        assertThat(events).containsExactly("serviceCreated hello", "revisionCreated hello-00001 v1",
                "trafficChanged - => hello-00001=100%");
    }

    @Test
    void aPutThatChangesTheContainerMakesTheNextRevisionAndOneThatDoesNotChangesInPlace() {
        ServiceRegistry registry = registry();
        await(registry.create(request("v1")));
        events.clear();

        RegisteredService scaled = await(registry.update("hello", request("v1").toBuilder().maxInstances(4).build()));
        assertThat(scaled.revisions()).extracting(Revision::name).containsExactly("hello-00001");
        assertThat(scaled.definition().maxInstances()).isEqualTo(4);
        assertThat(events).containsExactly("serviceUpdated v1->v1");
        events.clear();

        RegisteredService v2 = await(registry.update("hello", request("v2")));
        assertThat(v2.revisions()).extracting(Revision::name).containsExactly("hello-00001", "hello-00002");
        assertThat(v2.definition().maxInstances()).isEqualTo(1);
        assertThat(events).containsExactly("serviceUpdated v1->v2", "revisionCreated hello-00002 v2",
                "trafficChanged hello-00001=100% => hello-00002=100%");
        assertThat(registry.route("hello.localhost").revision(new java.util.SplittableRandom(1)).name())
                .isEqualTo("hello-00002");
    }

    @Test
    void aTrafficChangeTellsOnlyTheNewEventsAndMovesTheRoutes() {
        ServiceRegistry registry = registry();
        await(registry.create(request("v1")));
        await(registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 100))));
        await(registry.update("hello", request("v2")));
        events.clear();

        RegisteredService split = await(registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10).withTag("canary"))));
        assertThat(split.traffic().percentOf("hello-00002")).isEqualTo(10);
        assertThat(events).containsExactly(
                "trafficChanged hello-00001=100% => hello-00001=90%, hello-00002=10%, canary->hello-00002");
        assertThat(registry.route("canary--hello.localhost").fixed().name()).isEqualTo("hello-00002");
        assertThat(registry.findByHost("canary--hello.localhost")).isNull();
        assertThat(registry.findByHost("hello.localhost")).isEqualTo(split.definition());
        events.clear();

        // The same traffic again changes nothing a listener needs to hear of.
        await(registry.updateTraffic("hello", split.definition().traffic()));
        assertThat(events).isEmpty();
    }

    @Test
    void invalidTrafficIsRefusedAndChangesNothing() {
        ServiceRegistry registry = registry();
        RegisteredService created = await(registry.create(request("v1")));
        events.clear();
        Throwable refused = failure(registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 50),
                TrafficTarget.to("hello-00002", 50))));
        assertThat(refused).isInstanceOfSatisfying(InvalidDefinitionException.class, e -> assertThat(e.fields())
                .containsOnlyKeys("traffic[1].revision"));
        assertThat(registry.service("hello")).contains(created);
        assertThat(events).isEmpty();
        assertThat(failure(registry.updateTraffic("nope", TrafficTarget.DEFAULT)))
                .isInstanceOf(ServiceNotFoundException.class);
    }

    @Test
    void retentionDeletesOldRevisionsAndTellsListeners() {
        ServiceRegistry registry = registry(new MemoryServiceStore(), 2);
        await(registry.create(request("v1")));
        await(registry.update("hello", request("v2")));
        events.clear();
        RegisteredService v3 = await(registry.update("hello", request("v3")));
        assertThat(v3.revisions()).extracting(Revision::name).containsExactly("hello-00002", "hello-00003");
        assertThat(events).containsExactly("serviceUpdated v2->v3", "revisionCreated hello-00003 v3",
                "trafficChanged hello-00002=100% => hello-00003=100%", "revisionDeleted hello-00001");
    }

    @Test
    void deletingARevisionIsRefusedWhileItIsUsed() {
        ServiceRegistry registry = registry();
        await(registry.create(request("v1")));
        await(registry.update("hello", request("v2")));
        await(registry.update("hello", request("v3")));
        await(registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 100),
                TrafficTarget.latest(0).withTag("next"))));
        events.clear();

        assertThat(failure(registry.deleteRevision("hello", "hello-00001")))
                .isInstanceOf(RevisionInUseException.class).hasMessageContaining("100%");
        assertThat(failure(registry.deleteRevision("hello", "hello-00003")))
                .isInstanceOf(RevisionInUseException.class);
        assertThat(failure(registry.deleteRevision("hello", "hello-00042")))
                .isInstanceOf(RevisionNotFoundException.class);
        assertThat(failure(registry.deleteRevision("nope", "nope-00001")))
                .isInstanceOf(ServiceNotFoundException.class);
        assertThat(events).isEmpty();

        RegisteredService after = await(registry.deleteRevision("hello", "hello-00002"));
        assertThat(after.revisions()).extracting(Revision::name).containsExactly("hello-00001", "hello-00003");
        assertThat(events).containsExactly("revisionDeleted hello-00002");
        // The next revision takes the next number, not the deleted one's.
        assertThat(await(registry.update("hello", request("v4"))).latest().name()).isEqualTo("hello-00004");
    }

    @Test
    void aServiceCreatedAgainUnderItsOldNameDoesNotReuseRevisionNames() {
        ServiceRegistry registry = registry();
        await(registry.create(request("v1")));
        await(registry.update("hello", request("v2")));
        await(registry.delete("hello"));
        assertThat(registry.route("hello.localhost")).isNull();
        assertThat(await(registry.create(request("v1"))).latest().name()).isEqualTo("hello-00003");
    }

    @Test
    void aTagMayNotTakeAnotherServicesHostNorAHostATag() {
        ServiceRegistry registry = registry();
        await(registry.create(request("v1")));
        await(registry.create(ServiceDefinition.builder("other").imageName("img").host("canary--hello.localhost")
                .build()));
        Throwable tag = failure(registry.updateTraffic("hello", List.of(TrafficTarget.latest(100),
                TrafficTarget.latest(0).withTag("canary"))));
        assertThat(tag).isInstanceOfSatisfying(DuplicateServiceException.class,
                e -> assertThat(e.field()).isEqualTo("traffic[1].tag")).hasMessageContaining("'other'");

        await(registry.updateTraffic("hello", List.of(TrafficTarget.latest(100).withTag("beta"))));
        Throwable host = failure(registry.create(ServiceDefinition.builder("third").imageName("img")
                .host("beta--hello.localhost").build()));
        assertThat(host).isInstanceOfSatisfying(DuplicateServiceException.class,
                e -> assertThat(e.field()).isEqualTo("host")).hasMessageContaining("'hello'");
    }

    @Test
    void newNamesMustNotHoldTheSeparator() {
        Throwable refused = failure(registry().create(ServiceDefinition.builder("a--b").imageName("img").build()));
        assertThat(refused).isInstanceOfSatisfying(InvalidDefinitionException.class,
                e -> assertThat(e.fields()).containsOnlyKeys("name"));
    }

    @Test
    void theSqliteStoreKeepsWhatTheRegistryDidAcrossARestart() {
        Path file = dir.resolve("cless.db");
        ServiceRegistry first = registry(new SqliteServiceStore(file), 10);
        await(first.create(request("v1")));
        await(first.update("hello", request("v2")));
        RegisteredService split = await(first.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10).withTag("canary"))));
        stores.remove(0).close();

        ServiceRegistry restarted = registry(new SqliteServiceStore(file), 10);
        assertThat(restarted.service("hello")).contains(split);
        assertThat(restarted.route("canary--hello.localhost").fixed().name()).isEqualTo("hello-00002");
        assertThat(await(restarted.update("hello", request("v3"))).latest().name()).isEqualTo("hello-00003");
    }

    @Test
    void aServiceStoredBeforeTheSeparatorRuleCanStillChange() {
        MemoryServiceStore store = new MemoryServiceStore();
        ServiceDefinition legacy = Revisions.DEFAULTS.apply(ServiceDefinition.builder("old--name").imageName("img")
                .build()).toBuilder().traffic(TrafficTarget.DEFAULT).build();
        store.create(new RegisteredService(legacy, List.of(Revisions.revision(legacy, 1)), Map.of()));
        ServiceRegistry registry = registry(store, 10);
        RegisteredService changed = await(registry.update("old--name",
                ServiceDefinition.builder("old--name").imageName("img").imageTag("v2").build()));
        assertThat(changed.latest().name()).isEqualTo("old--name-00002");
        assertThat(registry.route("old--name.localhost")).isNotNull();
    }

    @Test
    void reloadAppliesWhatAnotherWriterStoredAndTellsItLikeALocalChange() {
        MemoryServiceStore store = new MemoryServiceStore();
        ServiceRegistry registry = registry(store, 10);
        // Another replica's registry on the same store, whose changes this one only learns of by reloading.
        ServiceRegistry other = new ServiceRegistry(store, new ServiceValidator(), Revisions.DEFAULTS, blocking,
                CLOCK, 10);
        await(other.create(request("v1")));
        assertThat(registry.get("hello")).isEmpty();
        registry.reload("hello");
        assertThat(registry.service("hello")).isEqualTo(store.get("hello"));
        assertThat(events).containsExactly("serviceCreated hello", "revisionCreated hello-00001 v1",
                "trafficChanged - => hello-00001=100%");
        events.clear();

        // Two changes missed, seen at once: told as one, from what this registry last knew.
        await(other.update("hello", request("v2")));
        await(other.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 50),
                TrafficTarget.latest(50).withTag("next"))));
        registry.reload("hello");
        assertThat(events).containsExactly("serviceUpdated v1->v2", "revisionCreated hello-00002 v2",
                "trafficChanged hello-00001=100% => hello-00001=50%, hello-00002=50%, next->hello-00002");
        assertThat(registry.route("next--hello.localhost").fixed().name()).isEqualTo("hello-00002");
        events.clear();

        // Reading again what is known already changes nothing; nor does a change this registry made itself.
        registry.reload("hello");
        registry.reloadAll();
        await(registry.update("hello", request("v2").toBuilder().maxInstances(3).build()));
        events.clear();
        registry.reload("hello");
        registry.reloadAll();
        assertThat(events).isEmpty();
    }

    @Test
    void aWriteIsPlannedFromTheStoreEvenWhenTheIndexIsBehind() {
        MemoryServiceStore store = new MemoryServiceStore();
        ServiceRegistry registry = registry(store, 10);
        ServiceRegistry other = new ServiceRegistry(store, new ServiceValidator(), Revisions.DEFAULTS, blocking,
                CLOCK, 10);
        await(registry.create(request("v1")));
        await(other.updateTraffic("hello", List.of(TrafficTarget.latest(100).withTag("kept"))));
        await(other.update("hello", request("v2")));
        events.clear();

        // This registry has not seen the other's changes: its write still keeps the tag and takes number 3.
        RegisteredService v3 = await(registry.update("hello", request("v3")));
        assertThat(v3.latest().name()).isEqualTo("hello-00003");
        assertThat(v3.definition().traffic()).containsExactly(TrafficTarget.latest(100).withTag("kept"));
        assertThat(store.get("hello")).contains(v3);
        // Its listeners hear of everything since what they knew: revision 1 to 3, with the tag.
        assertThat(events).containsExactly("serviceUpdated v1->v3", "revisionCreated hello-00003 v3",
                "trafficChanged hello-00001=100% => hello-00003=100%, kept->hello-00003");
        assertThat(failure(registry.create(request("v1")))).isInstanceOfSatisfying(DuplicateServiceException.class,
                e -> assertThat(e.field()).isEqualTo("name"));
    }

    @Test
    void reloadAllDeletesWhatIsNoLongerStoredAndAddsWhatIsNew() {
        MemoryServiceStore store = new MemoryServiceStore();
        ServiceRegistry registry = registry(store, 10);
        await(registry.create(request("v1")));
        ServiceRegistry other = new ServiceRegistry(store, new ServiceValidator(), Revisions.DEFAULTS, blocking,
                CLOCK, 10);
        other.load();
        await(other.delete("hello"));
        await(other.create(ServiceDefinition.builder("moved").imageName("img").host("hello.localhost").build()));
        events.clear();

        registry.reloadAll();
        assertThat(registry.list()).extracting(ServiceDefinition::name).containsExactly("moved");
        assertThat(registry.route("hello.localhost").service().name()).isEqualTo("moved");
        assertThat(events).containsExactly("serviceCreated moved", "revisionCreated moved-00001 latest",
                "trafficChanged - => moved-00001=100%", "serviceDeleted hello");
    }
}
