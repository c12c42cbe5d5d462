package cloud.cless.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.testing.PostgresServer;
import cloud.cless.core.testing.PostgresSupport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code cless serve} processes on loopback sharing one real PostgreSQL, as three hosts would run them: they
 * see each other and agree on a leader ({@code GET /cluster}); SIGKILL of the leader hands leadership to another
 * within 10 s while warm traffic through the others goes on without a failure; a restart of PostgreSQL is
 * survived without restarting cless, and while the database is down the replicas serve warm traffic from what
 * they know. A definition made on one replica is served by the third within a second. One set of processes for the whole class (starting JVMs is the slow part), so the tests run in order:
 * the third kills one of the three.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaProcessesTest {
    private static final String TOKEN = "replica-processes-token";
    private static final String HOST = "hello.localhost";
    private static final Duration START_LIMIT = Duration.ofSeconds(60);
    private static final Duration SOON = Duration.ofSeconds(30);
    private static final Duration HANDOVER_LIMIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    @TempDir
    static Path dir;

    private static final List<ClessProcess> replicas = new ArrayList<>();
    private static HttpServer backend;

    @BeforeAll
    static void startThreeReplicas() throws Exception {
        backend = backend("hello");
        String storeUrl = postgres.freshDatabase();
        for (String name : List.of("a", "b", "c")) {
            replicas.add(ClessProcess.start(name, dir, TOKEN, Map.of("CLESS_STORE_PASSWORD", postgres.password()),
                    "--store", "postgres", "--store-url", storeUrl));
        }
        for (ClessProcess replica : replicas) {
            replica.awaitServing(START_LIMIT);
        }
        RawHttp.Response created = admin(replicas.get(0), "POST", "/serviceDefinitions",
                "{\"name\":\"hello\",\"upstream\":\"127.0.0.1:" + backend.getAddress().getPort() + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        for (ClessProcess replica : replicas) {
            awaitServed(replica);
        }
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (ClessProcess replica : replicas) {
            replica.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    @Test
    @Order(1)
    void everyReplicaListsAllThreeAndTheSameLeader() throws Exception {
        Set<String> ids = new HashSet<>();
        Set<String> leaders = new HashSet<>();
        for (ClessProcess replica : replicas) {
            JsonNode cluster = clusterUntil(replica, c -> live(c).size() == 3 && !c.get("leader_id").isNull());
            ids.add(cluster.get("replica_id").asText());
            leaders.add(cluster.get("leader_id").asText());
            assertThat(cluster.get("database").get("state").asText()).isEqualTo("up");
            JsonNode self = entry(cluster, cluster.get("replica_id").asText());
            assertThat(self.get("address").asText()).as("the address its proxy listens on")
                    .isEqualTo("127.0.0.1:" + replica.proxy().getPort());
            assertThat(self.get("name").asText()).endsWith(":" + replica.proxy().getPort());
        }
        assertThat(ids).hasSize(3);
        assertThat(leaders).as("one leader, the same for all").hasSize(1);
        assertThat(ids).containsAll(leaders);
    }

    @Test
    @Order(2)
    void aDefinitionMadeOnOneReplicaIsServedByTheThirdWithinASecond() throws Exception {
        ClessProcess third = replicas.get(2);
        String host = "fresh.localhost";
        assertThat(RawHttp.get(third.proxy(), host, "/").status()).as("not yet registered").isEqualTo(404);

        RawHttp.Response created = admin(replicas.get(0), "POST", "/serviceDefinitions",
                "{\"name\":\"fresh\",\"upstream\":\"127.0.0.1:" + backend.getAddress().getPort() + "\"}");
        long madeAt = System.nanoTime();
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        RawHttp.Response response = RawHttp.get(third.proxy(), host, "/");
        while (response.status() != 200) {
            assertThat(Duration.ofNanos(System.nanoTime() - madeAt)).as("%s answers %s %s", third,
                    response.status(), response.body()).isLessThan(Duration.ofSeconds(1));
            Thread.sleep(10);
            response = RawHttp.get(third.proxy(), host, "/");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - madeAt)).as("served by the third replica")
                .isLessThan(Duration.ofSeconds(1));
        assertThat(response.body()).isEqualTo("hello");
    }

    @Test
    @Order(3)
    void killingTheLeaderHandsLeadershipToAnotherWithinTenSecondsWithoutAFailedWarmRequest() throws Exception {
        String leaderId = clusterUntil(replicas.get(0), c -> !c.get("leader_id").isNull()).get("leader_id").asText();
        ClessProcess leader = replicaWithId(leaderId);
        List<ClessProcess> others = replicas.stream().filter(r -> r != leader).toList();
        WarmTraffic traffic = new WarmTraffic(others);
        traffic.start();
        traffic.awaitServed(20);

        leader.kill();
        long killed = System.nanoTime();
        for (ClessProcess survivor : others) {
            JsonNode cluster = clusterUntil(survivor, c -> !c.get("leader_id").isNull()
                    && !c.get("leader_id").asText().equals(leaderId));
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("leadership handed over")
                    .isLessThan(HANDOVER_LIMIT);
            assertThat(ids(cluster)).contains(cluster.get("leader_id").asText());
        }
        Set<String> newLeaders = new HashSet<>();
        for (ClessProcess survivor : others) {
            newLeaders.add(cluster(survivor).get("leader_id").asText());
        }
        assertThat(newLeaders).hasSize(1);
        // The killed replica's report is left behind: silent, it turns stale (and later is declared dead).
        JsonNode stale = clusterUntil(others.get(0), c -> !live(c).contains(leaderId));
        assertThat(ids(stale)).as("stale, not yet declared dead").contains(leaderId);

        int before = traffic.served();
        traffic.awaitServed(before + 20);
        traffic.stop();
        assertThat(traffic.failures()).as("warm requests through the other replicas").isEmpty();
        replicas.remove(leader);
    }

    @Test
    @Order(4)
    void aPostgresRestartIsSurvivedAndWhileItIsDownTheReplicasServeWarmTraffic() throws Exception {
        PostgresServer server = postgres.ownedServer();
        WarmTraffic traffic = new WarmTraffic(replicas);
        traffic.start();
        traffic.awaitServed(10);

        server.stop();
        Instant stopped = Instant.now();
        for (ClessProcess replica : replicas) {
            JsonNode cut = clusterUntil(replica, c -> c.get("database").get("state").asText().equals("down"));
            assertThat(cut.get("leader_id").isNull()).as("no leader known without the database").isTrue();
            assertThat(cut.get("replicas")).singleElement().satisfies(self -> {
                assertThat(self.get("id").asText()).isEqualTo(cut.get("replica_id").asText());
                assertThat(self.get("state").asText()).isEqualTo("unreported");
            });
        }
        int before = traffic.served();
        traffic.awaitServed(before + 20);
        assertThat(traffic.failures()).as("warm requests while the database is down").isEmpty();

        server.startAgain();
        Set<String> leaders = new HashSet<>();
        for (ClessProcess replica : replicas) {
            JsonNode back = clusterUntil(replica, c -> c.get("database").get("state").asText().equals("up")
                    && !c.get("leader_id").isNull() && live(c).size() == replicas.size()
                    && reportedSince(c, stopped));
            leaders.add(back.get("leader_id").asText());
        }
        assertThat(leaders).hasSize(1);
        traffic.stop();
        assertThat(traffic.failures()).isEmpty();
    }

    /** Requests to the warm upstream service through each of {@code through} in turn, on a thread of its own. */
    private static final class WarmTraffic {
        private final List<ClessProcess> through;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger served = new AtomicInteger();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final Thread thread = new Thread(this::run, "warm-traffic");

        WarmTraffic(List<ClessProcess> through) {
            this.through = List.copyOf(through);
        }

        void start() {
            thread.start();
        }

        private void run() {
            for (int i = 0; running.get(); i++) {
                ClessProcess replica = through.get(i % through.size());
                try {
                    RawHttp.Response response = RawHttp.get(replica.proxy(), HOST, "/");
                    if (response.status() == 200 && response.body().equals("hello")) {
                        served.incrementAndGet();
                    } else {
                        failures.add(replica + ": " + response.status() + " " + response.body());
                    }
                } catch (IOException e) {
                    failures.add(replica + ": " + e);
                }
            }
        }

        int served() {
            return served.get();
        }

        void awaitServed(int count) throws InterruptedException {
            long deadline = System.nanoTime() + SOON.toNanos();
            while (served.get() < count) {
                assertThat(System.nanoTime()).as("warm requests served: " + served + ", failures " + failures)
                        .isLessThan(deadline);
                Thread.sleep(10);
            }
        }

        List<String> failures() {
            return failures;
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(SOON.toMillis());
        }
    }

    private static JsonNode cluster(ClessProcess replica) throws IOException {
        RawHttp.Response response = admin(replica, "GET", "/cluster", null);
        assertThat(response.status()).as(replica + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** {@code GET /cluster} of {@code replica}, polled until {@code condition} holds. */
    private static JsonNode clusterUntil(ClessProcess replica, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        JsonNode cluster = cluster(replica);
        while (!condition.test(cluster)) {
            assertThat(System.nanoTime()).as(replica + " answers " + cluster + "\n" + replica.logTail())
                    .isLessThan(deadline);
            Thread.sleep(50);
            cluster = cluster(replica);
        }
        return cluster;
    }

    private static List<String> ids(JsonNode cluster) {
        List<String> ids = new ArrayList<>();
        cluster.get("replicas").forEach(r -> ids.add(r.get("id").asText()));
        return ids;
    }

    private static List<String> live(JsonNode cluster) {
        List<String> live = new ArrayList<>();
        cluster.get("replicas").forEach(r -> {
            if (r.get("state").asText().equals("live")) {
                live.add(r.get("id").asText());
            }
        });
        return live;
    }

    /** Every live replica's last report is later than {@code since}: the reports resumed. */
    private static boolean reportedSince(JsonNode cluster, Instant since) {
        for (JsonNode r : cluster.get("replicas")) {
            if (r.get("state").asText().equals("live")
                    && Instant.parse(r.get("reported_at").asText()).isBefore(since)) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode entry(JsonNode cluster, String id) {
        for (JsonNode r : cluster.get("replicas")) {
            if (r.get("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError("no replica " + id + " in " + cluster);
    }

    private static ClessProcess replicaWithId(String id) throws IOException {
        for (ClessProcess replica : replicas) {
            if (cluster(replica).get("replica_id").asText().equals(id)) {
                return replica;
            }
        }
        throw new AssertionError("no running replica has id " + id);
    }

    private static void awaitServed(ClessProcess replica) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        RawHttp.Response response = RawHttp.get(replica.proxy(), HOST, "/");
        while (response.status() != 200) {
            assertThat(System.nanoTime()).as(replica + " answers " + response.status() + " " + response.body())
                    .isLessThan(deadline);
            Thread.sleep(50);
            response = RawHttp.get(replica.proxy(), HOST, "/");
        }
    }

    private static RawHttp.Response admin(ClessProcess replica, String method, String path, String json)
            throws IOException {
        return RawHttp.request(replica.admin(), method, "127.0.0.1", path, TOKEN, json);
    }

    /** An upstream on 127.0.0.1 that answers every request with {@code body}. */
    private static HttpServer backend(String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Connection", "close");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server;
    }
}
