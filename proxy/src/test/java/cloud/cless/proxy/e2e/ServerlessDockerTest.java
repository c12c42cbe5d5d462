package cloud.cless.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.TestImages;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serverless behaviour end to end, through {@code ClessServer} in-process against the real engine: scale to zero
 * and back, idle keep-alive connections that hold no instance, tunnels that do, no request lost while the reaper
 * runs, scale-out, concurrency counted in requests, killed containers, an unreachable engine, definition updates,
 * restarts and the drain on shutdown.
 */
class ServerlessDockerTest {
    private static final Logger log = LoggerFactory.getLogger(ServerlessDockerTest.class);
    private static final String TOKEN = "serverless-test-token";
    private static final Duration WAIT = Duration.ofSeconds(30);

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
        client = DockerSupport.newClient();
    }

    @AfterEach
    void tearDown() throws IOException {
        clients.shutdownNow();
        closeServer();
        client.close();
    }

    private void closeServer() {
        ClessServer running = server;
        if (running != null) {
            running.close();
            server = null;
        }
    }

    // ---- scale to zero ----

    @Test
    void anIdleContainerIsRemovedAndTheNextRequestColdStartsAgain() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"idle\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":2}");
        assertHello(get("idle", "/"));
        String first = onlyContainer("idle").getId();

        awaitContainers("idle", List::isEmpty, "the idle container to be removed");

        assertHello(get("idle", "/"));
        assertThat(onlyContainer("idle").getId()).isNotEqualTo(first);
    }

    @Test
    void anIdleKeepAliveConnectionHoldsNoInstanceAndItsNextRequestColdStarts() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"idler\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":2}");
        try (RawHttp.Connection connection = RawHttp.open(proxy())) {
            connection.write("GET / HTTP/1.1\r\nHost: idler.localhost\r\n\r\n");
            assertHello(connection.response());
            String first = onlyContainer("idler").getId();

            // The connection stays open and quiet: it keeps no instance alive.
            awaitContainers("idler", List::isEmpty, "the idle container to be reaped under an open connection");

            connection.write("GET / HTTP/1.1\r\nHost: idler.localhost\r\n\r\n");
            assertHello(connection.response());
            assertThat(onlyContainer("idler").getId()).isNotEqualTo(first);
        }
    }

    @Test
    void anOpenTunnelKeepsItsInstanceBeyondTheIdleTimeout() throws Exception {
        UpgradeEchoImage.ensureBuilt();
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"quiet\",\"image_name\":\"" + UpgradeEchoImage.IMAGE + "\",\"idle_timeout_seconds\":2}");
        try (RawHttp.Connection connection = RawHttp.open(proxy())) {
            connection.write("GET / HTTP/1.1\r\nHost: quiet.localhost\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n");
            assertThat(connection.head()).startsWith("HTTP/1.1 101 Switching Protocols\n");
            String container = onlyContainer("quiet").getId();

            // No byte either way for 5 s, more than twice the idle timeout, with the reaper running every second:
            // a tunnel is one long request, and its lease holds the instance.
            Thread.sleep(3_000);
            assertThat(containersOf("quiet")).extracting(Container::getId).containsExactly(container);
            Thread.sleep(2_000);
            assertThat(containersOf("quiet")).extracting(Container::getId).containsExactly(container);

            connection.write("still there?\n");
            assertThat(connection.read("still there?\n".length())).isEqualTo("still there?\n");
        }
        awaitContainers("quiet", List::isEmpty, "the container to be reaped once the tunnel closed");
    }

    @Test
    void concurrencyOneServesAnActiveClientAtOnceBesideAnIdleKeepAliveOne() throws Exception {
        // A queue timeout of 2 s: were the idle connection counted against concurrency, the second client would wait
        // that long and get a 503.
        server = startServer(DockerSupport.dockerHost(), Duration.ofSeconds(2));
        register("{\"name\":\"single\",\"image_name\":\"cless-test/hello\",\"concurrency\":1,\"max_instances\":1}");
        try (RawHttp.Connection idle = RawHttp.open(proxy())) {
            idle.write("GET / HTTP/1.1\r\nHost: single.localhost\r\n\r\n");
            assertHello(idle.response());
            for (int i = 0; i < 3; i++) {
                assertHello(get("single", "/"));
            }
            idle.write("GET / HTTP/1.1\r\nHost: single.localhost\r\n\r\n");
            assertHello(idle.response());
        }
        assertThat(containersOf("single")).hasSize(1);
    }

    @Test
    void shutdownClosesIdleConnectionsAtOnceAndLetsRequestsInFlightFinish() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"drain\",\"image_name\":\"cless-test/hello\"}");
        try (RawHttp.Connection idle = RawHttp.open(proxy())) {
            idle.write("GET / HTTP/1.1\r\nHost: drain.localhost\r\n\r\n");
            assertHello(idle.response());
            Future<RawHttp.Response> busy = clients.submit(() -> get("drain", "/cgi-bin/slow?3"));
            awaitOpenConnection("drain");

            Future<?> closing = clients.submit(this::closeServer);
            // The idle connection is closed at once, long before the slow request ends.
            assertThat(idle.readToEnd()).isEmpty();
            assertThat(busy.isDone()).isFalse();

            RawHttp.Response slow = busy.get(60, TimeUnit.SECONDS);
            assertThat(slow.status()).isEqualTo(200);
            assertThat(slow.body()).contains("slept 3");
            closing.get(60, TimeUnit.SECONDS);
        }
        assertThat(containersOf("drain")).isEmpty();
    }

    @Test
    void noRequestIsLostWhileTheReaperRuns() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"edge\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":1}");
        // Pauses around the 1 s timeout (the reaper looks every second): some bursts find the instance warm, some
        // arrive while it is being reaped, some after it is gone.
        long[] pausesMillis = {900, 1_000, 1_100, 1_300, 1_900, 2_100, 800, 1_500, 2_500, 1_000};
        int sent = 0;
        int answered = 0;
        List<String> errors = new ArrayList<>();
        for (long pause : pausesMillis) {
            List<Future<RawHttp.Response>> burst = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                burst.add(clients.submit(() -> get("edge", "/")));
                sent++;
                if (i % 4 == 3) {
                    waitFor(burst); // four at a time, each on a new connection
                }
            }
            for (Future<RawHttp.Response> answer : burst) {
                try {
                    RawHttp.Response response = answer.get(60, TimeUnit.SECONDS);
                    if (response.status() == 200 && response.body().contains(TestImages.HELLO_BODY)) {
                        answered++;
                    } else {
                        errors.add(response.status() + " " + response.body());
                    }
                } catch (Exception e) {
                    errors.add(e.toString());
                }
            }
            Thread.sleep(pause);
        }
        assertThat(errors).isEmpty();
        assertThat(sent).isEqualTo(200);
        assertThat(answered).isEqualTo(200);
    }

    // ---- scale out ----

    @Test
    void concurrencyOneStartsAContainerPerSlowRequestUpToMaxInstances() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"wide\",\"image_name\":\"cless-test/hello\",\"concurrency\":1,\"max_instances\":3}");
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(clients.submit(() -> get("wide", "/cgi-bin/slow?3")));
        }
        for (Future<RawHttp.Response> answer : answers) {
            RawHttp.Response response = answer.get(60, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).contains("slept 3");
        }
        assertThat(containersOf("wide")).hasSize(3);
    }

    @Test
    void minInstancesRunWithoutARequestComeBackAfterAKillAndAtStartUp() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"always\",\"image_name\":\"cless-test/hello\",\"min_instances\":1}");
        String first = awaitContainers("always", running(1), "min_instances to be started").get(0).getId();

        client.killContainerCmd(first).exec();

        List<Container> replaced = awaitContainers("always",
                c -> c.size() == 1 && !c.get(0).getId().equals(first) && "running".equals(c.get(0).getState()),
                "the killed min_instances container to be replaced");
        assertThat(replaced).hasSize(1);
        assertHello(get("always", "/"));

        server.close(); // removes its containers
        server = null;
        assertThat(containersOf("always")).isEmpty();
        server = startServer(DockerSupport.dockerHost());
        awaitContainers("always", running(1), "min_instances to be started at start-up");
    }

    // ---- faults ----

    @Test
    void aKilledContainerIsReplacedAndTheNextRequestSucceeds() throws Exception {
        try (EngineForwarder engine = new EngineForwarder(engineSocket()).start()) {
            try {
                server = startServer(engine.dockerHost());
                register("{\"name\":\"victim\",\"image_name\":\"cless-test/hello\"}");
                assertHello(get("victim", "/"));
                String killed = onlyContainer("victim").getId();

                // cless must not hear of the death from the engine's events: only the failed connect can tell it.
                engine.holdEvents();
                client.killContainerCmd(killed).exec();
                awaitNotRunning(killed);

                // The connect to the dead container's port fails; it is retried on a fresh instance, unseen by the
                // client.
                assertHello(get("victim", "/"));
                engine.releaseEvents();

                List<Container> after = awaitContainers("victim",
                        c -> c.size() == 1 && !c.get(0).getId().equals(killed), "the killed container to be removed");
                assertThat(after.get(0).getState()).isEqualTo("running");
                assertHello(get("victim", "/"));
                assertThat(onlyContainer("victim").getId()).isEqualTo(after.get(0).getId());
            } finally {
                closeServer(); // removes the containers through the forwarder while it runs
            }
        }
    }

    @Test
    void anUnreachableEngineIsAFast503WhileWarmInstancesServeAndClessRecovers() throws Exception {
        try (EngineForwarder engine = new EngineForwarder(engineSocket()).start()) {
            try {
                server = startServer(engine.dockerHost());
                register("{\"name\":\"warm\",\"image_name\":\"cless-test/hello\"}");
                register("{\"name\":\"cold\",\"image_name\":\"cless-test/hello\"}");
                register("{\"name\":\"lapsed\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":1}");
                assertHello(get("warm", "/"));
                assertHello(get("lapsed", "/"));

                engine.stop();

                Timed refused = timedGet("cold", "with the engine unreachable");
                long millis = refused.millis();
                assertThat(refused.response().status()).isEqualTo(503);
                assertThat(refused.response().header("Retry-After")).isNotBlank();
                assertThat(millis).as("503 within a second of the request, took %d ms", millis).isLessThan(1_000);
                assertHello(get("warm", "/"));
                assertThat(get("cold", "/").status()).isEqualTo(503);
                // Meanwhile the idle instance of "lapsed" is reaped, but its container cannot be removed yet.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (RawHttp.metric(proxy(), TOKEN, "cless_containers_unremoved", null) < 1
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(RawHttp.metric(proxy(), TOKEN, "cless_containers_unremoved", null))
                        .as("containers whose removal waits for the engine").isGreaterThanOrEqualTo(1);

                engine.start();

                assertHello(awaitStatus("cold", 200, Duration.ofSeconds(45)));
                assertHello(get("warm", "/"));
                assertThat(containersOf("cold")).hasSize(1);
                assertThat(containersOf("warm")).hasSize(1);
                awaitContainers("lapsed", List::isEmpty, "the container reaped during the outage to be removed");
            } finally {
                closeServer(); // removes the containers through the forwarder while it runs
            }
        }
    }

    @Test
    void aNewEnvReachesNewConnectionsWhileAnOpenSlowRequestFinishesOnTheOldInstance() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"envy\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"one\"}}");
        assertThat(get("envy", "/cgi-bin/env").body()).contains("GREETING=one");
        String old = onlyContainer("envy").getId();

        Future<RawHttp.Response> slow = clients.submit(() -> get("envy", "/cgi-bin/slow?4"));
        awaitOpenConnection("envy");

        RawHttp.Response updated = RawHttp.request(proxy(), "PUT", "admin.localhost", "/serviceDefinitions/envy",
                TOKEN, "{\"name\":\"envy\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"two\"}}");
        assertThat(updated.status()).isEqualTo(200);

        RawHttp.Response fresh = get("envy", "/cgi-bin/env");
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.body()).contains("GREETING=two");
        if (!slow.isDone()) {
            // Draining: the old container stays while its connection is open (checked only while it surely is).
            assertThat(containersOf("envy")).extracting(Container::getId).contains(old);
        }

        RawHttp.Response finished = slow.get(60, TimeUnit.SECONDS);
        assertThat(finished.status()).isEqualTo(200);
        assertThat(finished.body()).contains("slept 4");
        List<Container> left = awaitContainers("envy", c -> c.size() == 1 && !c.get(0).getId().equals(old),
                "the old container to be removed once drained");
        assertThat(get("envy", "/cgi-bin/env").body()).contains("GREETING=two");
        assertThat(onlyContainer("envy").getId()).isEqualTo(left.get(0).getId());
    }

    @Test
    void aRestartedClessAdoptsTheWarmContainer() throws Exception {
        server = startServer(DockerSupport.dockerHost());
        register("{\"name\":\"steady\",\"image_name\":\"cless-test/hello\"}");
        assertHello(get("steady", "/"));
        String container = onlyContainer("steady").getId();

        server.closeLeavingContainers(); // as a crash would: the container keeps running
        server = null;
        assertThat(onlyContainer("steady").getId()).isEqualTo(container);
        server = startServer(DockerSupport.dockerHost());

        assertHello(get("steady", "/"));
        assertHello(get("steady", "/"));
        assertThat(containersOf("steady")).extracting(Container::getId).containsExactly(container);
    }

    // ---- helpers ----

    private ClessServer startServer(String dockerHost) {
        return startServer(dockerHost, 100, Duration.ofSeconds(30));
    }

    private ClessServer startServer(String dockerHost, Duration queueTimeout) {
        return startServer(dockerHost, 100, queueTimeout);
    }

    private ClessServer startServer(String dockerHost, int queueSize) {
        return startServer(dockerHost, queueSize, Duration.ofSeconds(30));
    }

    private ClessServer startServer(String dockerHost, int queueSize, Duration queueTimeout) {
        int first = 30000 + ThreadLocalRandom.current().nextInt(0, 9000);
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.SQLITE, dockerHost, first + "-" + (first + 199),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(10), IoMode.AUTO, 2, false, Duration.ofSeconds(1), queueSize, queueTimeout);
        return new ClessServer(config).start();
    }

    /** The engine's unix socket, which an {@link EngineForwarder} relays to. */
    private static Path engineSocket() {
        URI host = URI.create(DockerSupport.dockerHost());
        assertThat(host.getScheme()).as("these tests reach the engine on its unix socket").isEqualTo("unix");
        return Path.of(host.getPath());
    }

    private void awaitNotRunning(String containerId) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Boolean.TRUE.equals(client.inspectContainerCmd(containerId).exec().getState().getRunning())) {
            assertThat(System.nanoTime()).as("container %s still running", containerId).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private void register(String json) throws IOException {
        RawHttp.Response created = RawHttp.request(proxy(), "POST", "admin.localhost", "/serviceDefinitions", TOKEN,
                json);
        assertThat(created.status()).as("registering %s: %s", json, created.body()).isEqualTo(201);
    }

    private RawHttp.Response get(String service, String path) throws IOException {
        return RawHttp.get(proxy(), service + ".localhost", path);
    }

    private static void assertHello(RawHttp.Response response) {
        assertThat(response.status()).as("status, body '%s'", response.body()).isEqualTo(200);
        assertThat(response.body()).contains(TestImages.HELLO_BODY);
    }

    private InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", server.proxyAddress().getPort());
    }

    /**
     * The service's containers in any state (a removed one is gone, a stopped one is not) but {@code created}: the
     * spare made ahead of need is left out.
     */
    private List<Container> containersOf(String service) {
        return client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ContainerLabels.INSTALLATION, docker.installationId(),
                        ContainerLabels.SERVICE, service))
                .exec().stream().filter(c -> !"created".equals(c.getState())).toList();
    }

    private Container onlyContainer(String service) {
        List<Container> containers = containersOf(service);
        assertThat(containers).as("containers of %s", service).hasSize(1);
        return containers.get(0);
    }

    private List<Container> awaitContainers(String service, Predicate<List<Container>> condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Container> containers = containersOf(service);
        while (!condition.test(containers) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            containers = containersOf(service);
        }
        assertThat(condition.test(containers)).as("waited %s s for %s; containers now: %s", WAIT.toSeconds(), what,
                containers.stream().map(c -> c.getId().substring(0, 12) + " " + c.getState()).toList()).isTrue();
        return containers;
    }

    private static Predicate<List<Container>> running(int count) {
        return c -> c.size() == count && c.stream().allMatch(x -> "running".equals(x.getState()));
    }

    /** Waits until the admin API reports an open connection on an instance of {@code service}. */
    private void awaitOpenConnection(String service) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            RawHttp.Response instances = RawHttp.request(proxy(), "GET", "admin.localhost",
                    "/serviceDefinitions/" + service + "/instances", TOKEN, null);
            if (instances.body().contains("\"in_flight_requests\":1")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no open connection to " + service + " within " + WAIT.toSeconds() + " s");
    }

    private static void waitFor(List<Future<RawHttp.Response>> answers) {
        for (Future<RawHttp.Response> answer : answers) {
            try {
                answer.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted as an error by the caller
            }
        }
    }

    // ---- faults of issue 8, first written against the code before the fix ----

    @Test
    void aClientThatLeavesTheQueueGivesItsPlaceUpAtOnce() throws Exception {
        server = startServer(DockerSupport.dockerHost(), 1);
        register("{\"name\":\"line\",\"image_name\":\"cless-test/hello\",\"concurrency\":1,\"max_instances\":1}");
        assertHello(get("line", "/"));
        Future<RawHttp.Response> holder = clients.submit(() -> get("line", "/cgi-bin/slow?10"));
        awaitOpenConnection("line");
        try (RawHttp.Connection leaver = RawHttp.open(proxy())) {
            leaver.write("GET / HTTP/1.1\r\nHost: line.localhost\r\nConnection: close\r\n\r\n");
            awaitMetric("cless_queue_waits_total", "line", 1);
        }
        boolean gaveUp = awaitMetricQuietly("cless_requests_abandoned_total", "line", 1);

        RawHttp.Response next = get("line", "/");

        assertThat(next.status()).as("the next request (the leaver gave up its place: %s), body %s", gaveUp,
                next.body()).isEqualTo(200);
        assertThat(holder.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void aHungEngineEndsColdStartsWithinTheStartupTimeoutThen503sAndClessRecovers() throws Exception {
        try (EngineForwarder engine = new EngineForwarder(engineSocket()).start()) {
            try {
                server = startServer(engine.dockerHost(), 100);
                register("{\"name\":\"warm\",\"image_name\":\"cless-test/hello\"}");
                register("{\"name\":\"cold\",\"image_name\":\"cless-test/hello\",\"startup_timeout_seconds\":3}");
                assertHello(get("warm", "/"));

                engine.freeze();

                Timed timedOut = timedGet("cold", "with the engine frozen");
                assertThat(timedOut.response().status()).as("status after %d ms, body %s", timedOut.millis(),
                        timedOut.response().body()).isEqualTo(504);
                assertThat(timedOut.millis()).as("answered within the 3 s startup timeout and a margin")
                        .isLessThan(8_000);
                assertHello(get("warm", "/"));

                // Once the engine is known not to answer (a call of its ran into its deadline), a cold start is
                // refused at once.
                RawHttp.Response refused = awaitStatus("cold", 503, Duration.ofSeconds(45));
                assertThat(refused.header("Retry-After")).isNotBlank();
                Timed fast = timedGet("cold", "with the engine known not to answer");
                assertThat(fast.response().status()).isEqualTo(503);
                assertThat(fast.millis()).isLessThan(1_000);

                engine.thaw();

                assertHello(awaitStatus("cold", 200, Duration.ofSeconds(60)));
                assertHello(get("warm", "/"));
            } finally {
                engine.thaw();
                closeServer();
            }
        }
    }

    /** A response and how long it took. */
    private record Timed(RawHttp.Response response, long millis) {
    }

    private Timed timedGet(String service, String when) throws IOException {
        long began = System.nanoTime();
        RawHttp.Response response = get(service, "/");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        log.info("A cold service answered {} in {} ms {}", response.status(), millis, when);
        return new Timed(response, millis);
    }

    /** Asks {@code service} for {@code /} until it answers {@code status}, for up to {@code timeout}. */
    private RawHttp.Response awaitStatus(String service, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        RawHttp.Response response = get(service, "/");
        while (response.status() != status && System.nanoTime() < deadline) {
            Thread.sleep(250);
            response = get(service, "/");
        }
        assertThat(response.status()).as("waited %s for %d; body %s", timeout, status, response.body())
                .isEqualTo(status);
        return response;
    }

    private boolean awaitMetricQuietly(String name, String service, double value) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (RawHttp.metric(proxy(), TOKEN, name, service) >= value) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private void awaitMetric(String name, String service, double value) throws Exception {
        assertThat(awaitMetricQuietly(name, service, value)).as("%s{service=%s} reached %s", name, service, value)
                .isTrue();
    }
}
