package cloud.cless.proxy.e2e;

import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.swarm.SwarmService;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.runtime.swarm.SwarmTask;
import cloud.cless.core.testing.SwarmSupport;
import cloud.cless.core.testing.Waits;
import cloud.cless.core.testing.TestImages;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cless serve --runtime swarm} end to end: a {@code ClessServer} in-process whose {@code --docker-host} is the
 * manager of a real single-node swarm on a private engine (see {@link SwarmSupport}, which loads the test images
 * there), every request through the proxy: cold starts from a service at zero replicas, scale to zero, the drain of
 * a revision replaced by a PUT, adoption after a restart, a missing image, and pause refused.
 */
class ServerlessSwarmTest {
    private static final String TOKEN = "serverless-swarm-token";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final SwarmSupport swarm = new SwarmSupport();


    @TempDir
    Path dataDir;

    private ClessServer server;
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws IOException {
        // The swarm's services carry the test class's installation id, so what a test leaves is found and removed.
        Files.writeString(dataDir.resolve("installation.id"), swarm.installationId() + "\n");
    }

    @AfterEach
    void tearDown() {
        clients.shutdownNow();
        if (server != null) {
            server.close();
        }
        for (SwarmService left : await(swarm.client().listManaged(swarm.installationId()))) {
            await(swarm.client().removeService(left.name()));
        }
    }

    @Test
    void aColdStartThroughTheProxyScalesToZeroWhenIdleAndTheNextRequestStartsAgain() throws Exception {
        server = startServer();
        String name = unique("idle");
        register("{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":2,"
                + "\"env\":{\"GREETING\":\"hi\"},\"memory_mb\":64}");
        String revision = name + "-00001";
        until(() -> exists(revision), "the revision's service made at zero replicas");
        assertThat(replicas(revision)).isZero();

        RawHttp.Response first = get(name, "/cgi-bin/env");

        assertThat(first.status()).as("body %s", first.body()).isEqualTo(200);
        assertThat(first.body()).contains("PORT=8080").contains("GREETING=hi");
        assertThat(replicas(revision)).isEqualTo(1);
        String firstTask = runningTasks(revision).get(0).id();

        until(() -> replicas(revision) == 0 && runningTasks(revision).isEmpty(), "scaled to zero");

        assertHello(get(name, "/"));
        assertThat(runningTasks(revision)).extracting(SwarmTask::id).singleElement().isNotEqualTo(firstTask);
    }

    @Test
    void aPutDrainsTheOldRevisionsTaskThenRemovesItsService() throws Exception {
        server = startServer();
        String name = unique("envy");
        register("{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"one\"}}");
        assertHello(get(name, "/"));
        Future<RawHttp.Response> slow = clients.submit(() -> get(name, "/cgi-bin/slow?3"));
        until(() -> instancesOf(name).contains("\"in_flight_requests\":1"), "the slow request on the old task");

        RawHttp.Response updated = RawHttp.request(proxy(), "PUT", "admin.localhost", "/serviceDefinitions/" + name,
                TOKEN, "{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\","
                        + "\"env\":{\"GREETING\":\"two\"}}");
        assertThat(updated.status()).as("body %s", updated.body()).isEqualTo(200);

        RawHttp.Response fresh = get(name, "/cgi-bin/env");
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.body()).contains("GREETING=two");
        RawHttp.Response finished = slow.get(60, TimeUnit.SECONDS);
        assertThat(finished.status()).isEqualTo(200);
        assertThat(finished.body()).contains("slept 3");
        until(() -> !exists(name + "-00001"), "the old revision's service removed once drained");
        assertThat(exists(name + "-00002")).isTrue();
        assertThat(get(name, "/cgi-bin/env").body()).contains("GREETING=two");
    }

    @Test
    void aRestartedClessAdoptsTheRunningTask() throws Exception {
        server = startServer();
        String name = unique("steady");
        register("{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\"}");
        assertHello(get(name, "/"));
        String revision = name + "-00001";
        String task = runningTasks(revision).get(0).id();

        server.closeLeavingContainers(); // as a crash would: the task keeps running
        server = null;
        server = startServer();

        assertHello(get(name, "/"));
        assertThat(runningTasks(revision)).extracting(SwarmTask::id).containsExactly(task);
        assertThat(replicas(revision)).isEqualTo(1);
    }

    @Test
    void aMissingImageIs502NamingTheImageAndTheNode() throws Exception {
        server = startServer();
        String name = unique("gone");
        String image = "cless-test/missing-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        register("{\"name\":\"" + name + "\",\"image_name\":\"" + image + "\"}");

        RawHttp.Response response = get(name, "/");

        assertThat(response.status()).as("body %s", response.body()).isEqualTo(502);
        assertThat(response.body()).contains("image " + image + ":latest is missing on node ")
                .contains(swarm.nodeAddress().getHostAddress());
    }

    @Test
    void pauseIsRefusedWith400() throws Exception {
        server = startServer();
        String name = unique("frozen");

        RawHttp.Response refused = RawHttp.request(proxy(), "POST", "admin.localhost", "/serviceDefinitions", TOKEN,
                "{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\",\"idle_action\":\"pause\"}");

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("\"idle_action\":\"must be 'stop': the swarm runtime cannot pause"
                + " instances\"");
        assertThat(RawHttp.request(proxy(), "GET", "admin.localhost", "/serviceDefinitions/" + name, TOKEN, null)
                .status()).isEqualTo(404);
    }

    // ---- helpers ----

    private ClessServer startServer() {
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.SQLITE, swarm.dockerHost(), "20000-20099", Duration.ofMinutes(5),
                Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(5), IoMode.AUTO, 2,
                false, Duration.ofSeconds(1), 100, Duration.ofSeconds(30), 10, null)
                .withRuntime(ServerConfig.RuntimeKind.SWARM);
        return new ClessServer(config).start();
    }

    private static String unique(String prefix) {
        return prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
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

    /** The admin API's list of the instances of {@code service}, as JSON text. */
    private String instancesOf(String service) {
        try {
            return RawHttp.request(proxy(), "GET", "admin.localhost", "/serviceDefinitions/" + service + "/instances",
                    TOKEN, null).body();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean exists(String revision) {
        String name = SwarmServiceSpec.nameFor(revision);
        return await(swarm.client().listManaged(swarm.installationId())).stream()
                .anyMatch(s -> s.name().equals(name));
    }

    private static int replicas(String revision) {
        return await(swarm.client().service(SwarmServiceSpec.nameFor(revision))).replicas();
    }

    private static List<SwarmTask> runningTasks(String revision) {
        return await(swarm.client().tasks(SwarmServiceSpec.nameFor(revision))).stream().filter(SwarmTask::isRunning)
                .toList();
    }

    private static void until(BooleanSupplier condition, String what) {
        Waits.until(WAIT, what, condition);
    }
}
