package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceListener;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresServiceStore;
import cloud.cless.core.store.StoreUnavailableException;
import cloud.cless.core.testing.PostgresServer;
import cloud.cless.core.testing.PostgresSupport;
import cloud.cless.core.testing.TcpRelay;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two replicas' registries on one PostgreSQL database, each with its store, change feed and applier as
 * {@code cless serve --store postgres} wires them: what one changes the other sees within a second and tells its
 * listeners as if made there; writes at once through both lose nothing; a database restart and a replica cut off
 * from the database are both survived without restarting anything.
 */
class SharedStoreRegistriesTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    private static final Backoff QUICK = new Backoff(Duration.ofMillis(50), Duration.ofMillis(500));
    private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);
    private static final Duration SOON = Duration.ofSeconds(20);
    private static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            c.close();
        }
        postgres.ownedServer().startAgain();
    }

    @Test
    void whatOneReplicaChangesTheOtherSeesWithinASecondAndTellsItsListenersAlike() {
        String url = postgres.freshDatabase();
        Replica a = replica("a", url);
        Replica b = replica("b", url);

        a.await(a.registry.create(request("hello", "v1")));
        Poll.until(WITHIN_A_SECOND, "b has hello", () -> b.registry.get("hello").isPresent());
        a.await(a.registry.update("hello", request("hello", "v2")));
        Poll.until(WITHIN_A_SECOND, "b has hello-00002",
                () -> b.registry.service("hello").orElseThrow().latest().number() == 2);

        b.await(b.registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10).withTag("canary"))));
        Poll.until(WITHIN_A_SECOND, "a routes the canary", () -> a.registry.route("canary--hello.localhost") != null);
        assertThat(a.registry.route("canary--hello.localhost").fixed().name()).isEqualTo("hello-00002");
        assertThat(a.registry.service("hello")).isEqualTo(b.registry.service("hello"));

        b.await(b.registry.delete("hello"));
        Poll.until(WITHIN_A_SECOND, "a has no hello", () -> a.registry.get("hello").isEmpty());
        assertThat(a.registry.route("hello.localhost")).isNull();
        assertThat(a.registry.route("canary--hello.localhost")).isNull();

        // Each told the same story, once: the other's changes like its own, its own not again when they come back.
        b.await(b.registry.create(request("marker", "v1")));
        Poll.until(SOON, "a has the marker", () -> a.registry.get("marker").isPresent());
        assertThat(a.events).containsExactlyElementsOf(b.events).containsExactly(
                "serviceCreated hello", "revisionCreated hello-00001 v1", "trafficChanged - => hello-00001=100%",
                "serviceUpdated v1->v2", "revisionCreated hello-00002 v2",
                "trafficChanged hello-00001=100% => hello-00002=100%",
                "trafficChanged hello-00002=100% => hello-00001=90%, hello-00002=10%, canary->hello-00002",
                "serviceDeleted hello",
                "serviceCreated marker", "revisionCreated marker-00001 v1", "trafficChanged - => marker-00001=100%");
    }

    @Test
    void writesThroughBothAtOnceLoseNothingAndNeverReuseARevisionNumber() throws Exception {
        String url = postgres.freshDatabase();
        Replica a = replica("a", url);
        Replica b = replica("b", url);
        a.await(a.registry.create(request("hello", "v0")));
        Poll.until(SOON, "b has hello", () -> b.registry.get("hello").isPresent());

        int rounds = 10;
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try {
            // Both make new revisions; b also moves a tag, which a's definitions (without traffic) must keep.
            CompletableFuture<List<Integer>> fromA = CompletableFuture.supplyAsync(() -> {
                List<Integer> numbers = new ArrayList<>();
                for (int i = 1; i <= rounds; i++) {
                    numbers.add(a.await(a.registry.update("hello", request("hello", "a" + i))).latest().number());
                }
                return numbers;
            }, writers);
            CompletableFuture<List<Integer>> fromB = CompletableFuture.supplyAsync(() -> {
                List<Integer> numbers = new ArrayList<>();
                for (int i = 1; i <= rounds; i++) {
                    numbers.add(b.await(b.registry.update("hello", request("hello", "b" + i))).latest().number());
                    b.await(b.registry.updateTraffic("hello", List.of(TrafficTarget.latest(100).withTag("t" + i))));
                }
                return numbers;
            }, writers);
            List<Integer> handedOut = new ArrayList<>(fromA.get(60, TimeUnit.SECONDS));
            handedOut.addAll(fromB.get(60, TimeUnit.SECONDS));
            assertThat(new HashSet<>(handedOut)).hasSize(2 * rounds);
        } finally {
            writers.shutdownNow();
        }

        RegisteredService stored = a.store.get("hello").orElseThrow();
        assertThat(stored.revisions()).extracting(Revision::number).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 2 * rounds + 1).boxed().toList());
        assertThat(stored.definition().traffic()).containsExactly(TrafficTarget.latest(100).withTag("t" + rounds));
        Poll.until(SOON, "both replicas hold what is stored", () -> a.registry.service("hello").orElseThrow()
                .equals(stored) && b.registry.service("hello").orElseThrow().equals(stored));
    }

    @Test
    void aDatabaseRestartIsSurvivedWithoutRestartingTheReplicas() {
        String url = postgres.freshDatabase();
        Replica a = replica("a", url);
        Replica b = replica("b", url);
        a.await(a.registry.create(request("hello", "v1")));
        Poll.until(SOON, "b has hello", () -> b.registry.get("hello").isPresent());

        PostgresServer server = postgres.ownedServer();
        server.stop();
        // Reads come from memory; a write fails as the database being out of reach, naming it.
        assertThat(b.registry.route("hello.localhost")).isNotNull();
        assertThat(a.registry.list()).extracting(ServiceDefinition::name).containsExactly("hello");
        assertThatThrownBy(() -> a.await(a.registry.update("hello", request("hello", "v2"))))
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(postgres.endpoint(url, "a").redactedUrl())
                .hasMessageContaining("unreachable");
        Poll.until(SOON, "b's feed reports the outage", () -> !b.feed.link().up());
        server.startAgain();

        Poll.until(SOON, "both feeds are back", () -> a.feed.link().up() && b.feed.link().up());
        a.await(a.registry.update("hello", request("hello", "v2")));
        Poll.until(WITHIN_A_SECOND, "b has v2", () -> b.registry.get("hello").orElseThrow().imageTag().equals("v2"));
        b.await(b.registry.create(request("other", "v1")));
        Poll.until(WITHIN_A_SECOND, "a has other", () -> a.registry.get("other").isPresent());
    }

    @Test
    void aReplicaCutOffFromTheDatabaseCatchesUpWhenItIsBack() {
        String url = postgres.freshDatabase();
        PostgresServer server = postgres.ownedServer();
        TcpRelay path = TcpRelay.to(server.host(), server.port());
        opened.add(path);
        Replica a = replica("a", url);
        Replica b = replica("b", url.replace(":" + server.port() + "/", ":" + path.port() + "/"));
        a.await(a.registry.create(request("hello", "v1")));
        a.await(a.registry.create(request("doomed", "v1")));
        Poll.until(SOON, "b has both", () -> b.registry.list().size() == 2);
        b.events.clear();

        path.cut();
        Poll.until(SOON, "b's feed reports the outage", () -> !b.feed.link().up());
        a.await(a.registry.update("hello", request("hello", "v2")));
        a.await(a.registry.delete("doomed"));
        a.await(a.registry.create(request("made-meanwhile", "v1")));
        assertThatThrownBy(() -> b.await(b.registry.create(request("refused", "v1"))))
                .cause().isInstanceOf(StoreUnavailableException.class);
        // b keeps what it knew.
        assertThat(b.registry.list()).extracting(ServiceDefinition::name).containsExactly("doomed", "hello");

        path.restore();
        Poll.until(SOON, "b caught up", () -> b.registry.list().stream().map(ServiceDefinition::name).toList()
                .equals(List.of("hello", "made-meanwhile")));
        assertThat(b.registry.service("hello")).isEqualTo(a.registry.service("hello"));
        assertThat(b.events).containsExactlyInAnyOrder(
                "serviceUpdated v1->v2", "revisionCreated hello-00002 v2",
                "trafficChanged hello-00001=100% => hello-00002=100%",
                "serviceDeleted doomed",
                "serviceCreated made-meanwhile", "revisionCreated made-meanwhile-00001 v1",
                "trafficChanged - => made-meanwhile-00001=100%");
        assertThat(b.registry.get("refused")).isEmpty();
        assertThat(a.store.get("refused")).isEmpty();
    }

    private static ServiceDefinition request(String name, String tag) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag(tag).build();
    }

    private Replica replica(String id, String url) {
        Replica replica = new Replica(postgres.endpoint(url, id));
        opened.add(replica);
        return replica;
    }

    /** One replica's registry on the shared store, kept in step by the change feed. */
    private static final class Replica implements AutoCloseable {
        final ExecutorService blocking = Executors.newFixedThreadPool(2);
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final PostgresServiceStore store;
        final ServiceRegistry registry;
        final ChangeApplier applier;
        final ChangeFeed feed;

        Replica(PostgresEndpoint endpoint) {
            store = PostgresServiceStore.open(endpoint, Duration.ofSeconds(30));
            registry = new ServiceRegistry(store, new ServiceValidator(), DEFAULTS, blocking, Clock.systemUTC(), 100);
            registry.addListener(new Recorder(events));
            registry.load();
            applier = new ChangeApplier(new RegistryFollower(registry), QUICK);
            feed = new ChangeFeed(endpoint, QUICK, Clock.systemUTC()).subscribe(applier);
            feed.start();
            Poll.until(SOON, "the feed listens", () -> feed.link().up());
        }

        <T> T await(CompletableFuture<T> future) {
            return future.orTimeout(30, TimeUnit.SECONDS).join();
        }

        @Override
        public void close() {
            feed.close();
            applier.close();
            blocking.shutdownNow();
            store.close();
        }
    }

    /** Writes down what listeners are told, as {@code ServiceRegistryTest}'s does. */
    private record Recorder(List<String> events) implements ServiceListener {
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
            events.add("revisionCreated " + revision.name() + " " + revision.spec().imageTag());
        }

        @Override
        public void trafficChanged(RegisteredService previous, RegisteredService current) {
            events.add("trafficChanged " + (previous == null ? "-" : previous.traffic()) + " => "
                    + current.traffic());
        }

        @Override
        public void revisionDeleted(RegisteredService service, Revision revision) {
            events.add("revisionDeleted " + revision.name());
        }
    }
}
