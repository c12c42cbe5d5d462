package cloud.cless.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revisions end to end, through {@code ClessServer} in-process against the real engine and its SQLite store: the
 * revision is chosen per request (a split holds on keep-alive connections, a tag's host reaches its revision and
 * starts it), traffic moved under a steady load of keep-alive and new connections fails no request, and a restart
 * after a crash adopts a container only as an instance of the revision that serves.
 */
class RevisionsDockerTest {
    private static final String TOKEN = "revisions-test-token";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern VERSION = Pattern.compile("(?m)^V=(\\d+)$");

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    @TempDir
    Path dataDir;

    private ClessServer server;
    private DockerClient client;
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws IOException {
        // The data dir carries this class's installation id, so DockerSupport cleans up whatever a test leaves.
        Files.writeString(dataDir.resolve("installation.id"), docker.installationId() + "\n");
        VersionImage.ensureBuilt();
        client = DockerSupport.newClient();
    }

    @AfterEach
    void tearDown() throws IOException {
        clients.shutdownNow();
        if (server != null) {
            server.close();
        }
        client.close();
    }

    /** One request of the load: the phase when it was sent, on which kind of connection, and what came back. */
    private record Answer(int phase, boolean keptAlive, int status, String version, String body) {
    }

    /**
     * A few clients at once until stopped, each sending its requests on a new connection, or one after another on
     * one keep-alive connection (a connection that breaks loses the request: it is counted as failed, and the client
     * goes on with a new one).
     */
    private final class SteadyLoad {
        final AtomicInteger phase = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean(true);
        final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        final List<CompletableFuture<Void>> senders = new ArrayList<>();

        SteadyLoad(String service, int newConnectionClients, int keepAliveClients) {
            for (int i = 0; i < newConnectionClients; i++) {
                senders.add(CompletableFuture.runAsync(() -> {
                    while (running.get()) {
                        int sentIn = phase.get();
                        try {
                            answered(sentIn, false, get(service + ".localhost", "/cgi-bin/env"));
                        } catch (IOException e) {
                            answers.add(new Answer(sentIn, false, -1, null, e.toString()));
                        }
                    }
                }, clients));
            }
            for (int i = 0; i < keepAliveClients; i++) {
                senders.add(CompletableFuture.runAsync(() -> keepAlive(service), clients));
            }
        }

        private void keepAlive(String service) {
            RawHttp.Connection connection = null;
            try {
                while (running.get()) {
                    int sentIn = phase.get();
                    try {
                        if (connection == null) {
                            connection = RawHttp.open(proxy());
                        }
                        connection.write("GET /cgi-bin/version HTTP/1.1\r\nHost: " + service + ".localhost\r\n\r\n");
                        answered(sentIn, true, connection.response());
                    } catch (IOException e) {
                        answers.add(new Answer(sentIn, true, -1, null, "keep-alive connection: " + e));
                        connection = closeQuietly(connection);
                    }
                }
            } finally {
                closeQuietly(connection);
            }
        }

        private void answered(int sentIn, boolean keptAlive, RawHttp.Response response) {
            answers.add(new Answer(sentIn, keptAlive, response.status(), version(response.body()), response.body()));
        }

        /** Moves the traffic; requests sent while the change is under way belong to no phase (-1). */
        void shift(int next, String service, String traffic) throws IOException {
            phase.set(-1);
            putTraffic(service, traffic);
            phase.set(next);
        }

        /** Waits until {@code count} requests sent in the current phase were answered. */
        void awaitAnswers(int count) throws InterruptedException {
            int now = phase.get();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (answers.stream().filter(a -> a.phase() == now).count() < count) {
                assertThat(System.nanoTime()).as("%s answers in phase %s", count, now).isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        /** Waits until requests of the current phase were answered by each of {@code versions}. */
        void awaitVersions(String... versions) throws InterruptedException {
            int now = phase.get();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!answers.stream().filter(a -> a.phase() == now).map(Answer::version).toList()
                    .containsAll(List.of(versions))) {
                assertThat(System.nanoTime()).as("answers of %s in phase %s", List.of(versions), now)
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        List<Answer> stop() throws Exception {
            running.set(false);
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            return List.copyOf(answers);
        }
    }

    @Test
    void aNinetyTenSplitHoldsPerRequestOnKeepAliveConnections() throws Exception {
        server = startServer();
        twoVersions("split", "[{\"revision\":\"split-00001\",\"percent\":90},{\"latest\":true,\"percent\":10}]");
        int connections = 4;
        int perConnection = 500;
        List<CompletableFuture<List<String>>> clientsDone = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            clientsDone.add(CompletableFuture.supplyAsync(() -> {
                List<String> versions = new ArrayList<>();
                // One connection each for all of its requests: a connection that breaks fails the test.
                try (RawHttp.Connection connection = RawHttp.open(proxy())) {
                    for (int i = 0; i < perConnection; i++) {
                        connection.write("GET /cgi-bin/version HTTP/1.1\r\nHost: split.localhost\r\n\r\n");
                        RawHttp.Response response = connection.response();
                        assertThat(response.status()).as(response.body()).isEqualTo(200);
                        versions.add(version(response.body()));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return versions;
            }, clients));
        }
        List<String> versions = new ArrayList<>();
        for (CompletableFuture<List<String>> done : clientsDone) {
            List<String> ofOne = done.get(120, TimeUnit.SECONDS);
            assertThat(ofOne).as("each keep-alive connection reaches both revisions").contains("1", "2");
            versions.addAll(ofOne);
        }

        assertThat(versions).hasSize(connections * perConnection).containsOnly("1", "2");
        double percent = 100.0 * versions.stream().filter("2"::equals).count() / versions.size();
        assertThat(percent).as("share of split-00002 in %s requests", versions.size()).isBetween(7.0, 13.0);
        double counted = RawHttp.labelled(proxy(), TOKEN, "cless_requests_total", "service", "split",
                "revision", "split-00002", "code", "2xx");
        assertThat(counted).isEqualTo(versions.stream().filter("2"::equals).count());
    }

    @Test
    void aTagsHostReachesItsRevisionWhateverThePercentsAndStartsItWhenCold() throws Exception {
        server = startServer();
        twoVersions("tagged", "[{\"revision\":\"tagged-00001\",\"percent\":100},{\"latest\":true,\"tag\":\"next\"}]");
        assertThat(containersOf("tagged-00002")).as("a tag alone keeps nothing warm").isEmpty();

        RawHttp.Response tagged = get("next--tagged.localhost", "/cgi-bin/version");

        assertThat(tagged.status()).as(tagged.body()).isEqualTo(200);
        assertThat(version(tagged.body())).isEqualTo("2");
        assertThat(tagged.header("Server-Timing")).as("it waited for a cold start").startsWith("cold-start;dur=");
        assertThat(containersOf("tagged-00002")).hasSize(1);
        try (RawHttp.Connection connection = RawHttp.open(proxy())) {
            for (int i = 0; i < 20; i++) {
                connection.write("GET /cgi-bin/version HTTP/1.1\r\nHost: tagged.localhost\r\n\r\n");
                assertThat(version(connection.response().body())).as("the service's own host").isEqualTo("1");
                connection.write("GET /cgi-bin/version HTTP/1.1\r\nHost: next--tagged.localhost\r\n\r\n");
                assertThat(version(connection.response().body())).as("the tag's host").isEqualTo("2");
            }
        }
        RawHttp.Response noSuchTag = get("other--tagged.localhost", "/");
        assertThat(noSuchTag.status()).isEqualTo(404);
    }

    @Test
    void trafficMovedUnderSteadyLoadFailsNoRequestAndDrainsTheOldRevision() throws Exception {
        server = startServer();
        twoVersions("shift", "[{\"revision\":\"shift-00001\",\"percent\":100}]");
        assertThat(containersOf("shift-00002")).as("a new revision without traffic starts nothing").isEmpty();

        SteadyLoad load = new SteadyLoad("shift", 3, 3);
        load.awaitAnswers(20);
        // Sent while shift-00001 has all of the traffic, answered after it has none.
        CompletableFuture<RawHttp.Response> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return get("shift.localhost", "/cgi-bin/slow?6");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, clients);
        awaitInFlight("shift", "shift-00001");
        String oldContainer = containersOf("shift-00001").get(0).getId();
        load.shift(1, "shift", "[{\"revision\":\"shift-00001\",\"percent\":50},"
                + "{\"revision\":\"shift-00002\",\"percent\":50}]");
        load.awaitVersions("1", "2");

        load.shift(2, "shift", "[{\"revision\":\"shift-00002\",\"percent\":100}]");
        load.awaitAnswers(40);
        RawHttp.Response slowAnswer = slow.get(60, TimeUnit.SECONDS);
        assertThat(slowAnswer.status()).as("the slow request on the old revision: %s", slowAnswer.body())
                .isEqualTo(200);
        assertThat(slowAnswer.body()).contains("slept 6");
        awaitContainers("shift-00001", List::isEmpty, "the old revision to drain");
        assertThat(stateOf(oldContainer)).isEqualTo("removed");

        load.shift(3, "shift", "[{\"revision\":\"shift-00001\",\"percent\":100}]"); // the rollback
        load.awaitAnswers(40);
        awaitContainers("shift-00002", List::isEmpty, "the rolled back revision to drain");
        List<Answer> answers = load.stop();

        assertThat(answers).as("every request answered 200 by one of the two revisions")
                .allSatisfy(a -> {
                    assertThat(a.status()).as(a.body()).isEqualTo(200);
                    assertThat(a.version()).as(a.body()).isIn("1", "2");
                });
        for (int phase = 0; phase <= 3; phase++) {
            int p = phase;
            assertThat(answers).as("answers in phase %s", phase).filteredOn(a -> a.phase() == p)
                    .extracting(Answer::keptAlive).contains(true, false);
        }
        assertThat(answers).filteredOn(a -> a.phase() == 0).extracting(Answer::version).containsOnly("1");
        assertThat(answers).filteredOn(a -> a.phase() == 2).as("sent after the traffic moved to shift-00002")
                .extracting(Answer::version).containsOnly("2");
        assertThat(answers).filteredOn(a -> a.phase() == 3).as("sent after the rollback")
                .extracting(Answer::version).containsOnly("1");
        assertThat(containersOf("shift-00001")).hasSize(1);
    }

    @Test
    void aRestartAfterAPutAndACrashAdoptsOnlyTheContainerOfTheRevisionThatServes() throws Exception {
        // Closing in-process cuts the slow request, and the lifecycle, still running, then retires the drained
        // instance as a crashed process would not: a long stop keeps its container running past the restart.
        Duration longStop = Duration.ofSeconds(5);
        server = startServer(longStop);
        // Room for two: a restart that adopted by service alone would keep the old version's container serving.
        register("{\"name\":\"crash\",\"image_name\":\"cless-test/hello\",\"env\":{\"V\":\"1\"},"
                + "\"max_instances\":2}");
        assertThat(version(get("crash.localhost", "/cgi-bin/env").body())).isEqualTo("1");
        String old = containersOf("crash-00001").get(0).getId();
        clients.submit(() -> get("crash.localhost", "/cgi-bin/slow?60")); // keeps the old instance draining
        awaitInFlight("crash", "crash-00001");
        put("crash", "{\"image_name\":\"cless-test/hello\",\"env\":{\"V\":\"2\"},\"max_instances\":2}");
        assertThat(version(get("crash.localhost", "/cgi-bin/env").body())).isEqualTo("2");
        String current = containersOf("crash-00002").get(0).getId();
        assertThat(stateOf(old)).as("still draining").isEqualTo("running");

        server.closeLeavingContainers(); // as a crash would: both containers keep running
        server = null;
        assertThat(stateOf(old)).isEqualTo("running");
        assertThat(stateOf(current)).isEqualTo("running");
        server = startServer(longStop);

        awaitContainers("crash-00001", List::isEmpty, "the old revision's container to be removed");
        for (int i = 0; i < 10; i++) {
            assertThat(version(get("crash.localhost", "/cgi-bin/env").body())).isEqualTo("2");
        }
        assertThat(containersOf("crash-00002")).extracting(Container::getId).containsExactly(current);
        assertThat(instancesJson("crash")).contains("\"revision\":\"crash-00002\"").doesNotContain("crash-00001");
    }

    // ---- helpers ----

    private ClessServer startServer() {
        return startServer(Duration.ofSeconds(1));
    }

    /** @param stopTimeout how long a stopped container gets (busybox as PID 1 ignores SIGTERM: all of it) */
    private ClessServer startServer(Duration stopTimeout) {
        int first = 30000 + ThreadLocalRandom.current().nextInt(0, 9000);
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.SQLITE, DockerSupport.dockerHost(), first + "-" + (first + 199),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(5), IoMode.AUTO, 2, false, stopTimeout, 100, Duration.ofSeconds(30));
        return new ClessServer(config).start();
    }

    private InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", server.proxyAddress().getPort());
    }

    private RawHttp.Response get(String host, String path) throws IOException {
        return RawHttp.get(proxy(), host, path);
    }

    private void register(String json) throws IOException {
        RawHttp.Response created = RawHttp.request(proxy(), "POST", "admin.localhost", "/serviceDefinitions", TOKEN,
                json);
        assertThat(created.status()).as("registering %s: %s", json, created.body()).isEqualTo(201);
    }

    private void put(String service, String json) throws IOException {
        RawHttp.Response updated = RawHttp.request(proxy(), "PUT", "admin.localhost", "/serviceDefinitions/" + service,
                TOKEN, json);
        assertThat(updated.status()).as("updating %s with %s: %s", service, json, updated.body()).isEqualTo(200);
    }

    /**
     * Registers {@code service} on the version image with {@code V=1} and has it answer once, then makes its second
     * revision ({@code V=2}) with {@code traffic}.
     */
    private void twoVersions(String service, String traffic) throws IOException {
        register("{\"name\":\"" + service + "\",\"image_name\":\"" + VersionImage.IMAGE + "\",\"env\":{\"V\":\"1\"}}");
        assertThat(version(get(service + ".localhost", "/cgi-bin/version").body())).isEqualTo("1");
        put(service, "{\"image_name\":\"" + VersionImage.IMAGE + "\",\"env\":{\"V\":\"2\"},\"traffic\":" + traffic
                + "}");
    }

    private void putTraffic(String service, String json) throws IOException {
        RawHttp.Response moved = RawHttp.request(proxy(), "PUT", "admin.localhost",
                "/serviceDefinitions/" + service + "/traffic", TOKEN, json);
        assertThat(moved.status()).as("traffic of %s to %s: %s", service, json, moved.body()).isEqualTo(200);
    }

    private String instancesJson(String service) throws IOException {
        return RawHttp.request(proxy(), "GET", "admin.localhost", "/serviceDefinitions/" + service + "/instances",
                TOKEN, null).body();
    }

    /** Waits until an instance of {@code revision} has a request in flight, as the admin API lists it. */
    private void awaitInFlight(String service, String revision) throws Exception {
        Pattern busy = Pattern.compile("\"revision\":\"" + revision + "\"[^}]*\"in_flight_requests\":[1-9]");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!busy.matcher(instancesJson(service)).find()) {
            assertThat(System.nanoTime()).as("a request in flight on %s", revision).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static RawHttp.Connection closeQuietly(RawHttp.Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException e) {
                // it broke already
            }
        }
        return null;
    }

    private static String version(String body) {
        Matcher m = VERSION.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    /** The containers of {@code revision} that are or were started (its spare, only created, left out). */
    private List<Container> containersOf(String revision) {
        return client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ContainerLabels.INSTALLATION, docker.installationId(),
                        ContainerLabels.REVISION, revision))
                .exec().stream().filter(c -> !"created".equals(c.getState())).toList();
    }

    private void awaitContainers(String revision, Predicate<List<Container>> condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Container> containers = containersOf(revision);
        while (!condition.test(containers) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            containers = containersOf(revision);
        }
        assertThat(condition.test(containers)).as("waited %s s for %s; containers now: %s", WAIT.toSeconds(), what,
                containers.stream().map(c -> c.getId().substring(0, 12) + " " + c.getState()).toList()).isTrue();
    }

    private String stateOf(String containerId) {
        try {
            return client.inspectContainerCmd(containerId).exec().getState().getStatus();
        } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
            return "removed";
        }
    }
}
