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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole product against the real Docker engine: cless wired in-process exactly as {@code cless serve} does. */
class EndToEndDockerTest {
    private static final String TOKEN = "e2e-test-token";

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    @TempDir
    Path dataDir;

    private ClessServer server;
    private DockerClient client;

    @BeforeEach
    void start() throws IOException {
        // The data dir carries this class's installation id, so DockerSupport cleans up whatever a test leaves.
        Files.writeString(dataDir.resolve("installation.id"), docker.installationId() + "\n");
        client = DockerSupport.newClient();
        server = startServer();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        client.close();
    }

    @Test
    void walkThroughColdStartsOnceThenServesWarm() throws IOException {
        RawHttp.Response created = register(
                "{\"name\":\"hello\",\"image_name\":\"cless-test/hello\",\"image_tag\":\"latest\",\"port\":8080}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Location")).isEqualTo("/serviceDefinitions/hello");
        assertThat(created.body()).contains("\"host\":\"hello.localhost\"");

        RawHttp.Response cold = RawHttp.get(proxy(), "hello.localhost", "/");
        assertThat(cold.status()).isEqualTo(200);
        assertThat(cold.body()).contains(TestImages.HELLO_BODY);
        List<Container> afterCold = containersOf("hello");
        assertThat(afterCold).hasSize(1);

        RawHttp.Response warm = RawHttp.get(proxy(), "hello.localhost", "/");
        assertThat(warm.status()).isEqualTo(200);
        assertThat(warm.body()).contains(TestImages.HELLO_BODY);
        assertThat(containersOf("hello")).extracting(Container::getId)
                .containsExactly(afterCold.get(0).getId());

        Container container = afterCold.get(0);
        assertThat(container.getNames()[0]).startsWith("/cless-hello-");
        assertThat(container.getLabels()).containsEntry(ContainerLabels.MANAGED, "true")
                .containsEntry(ContainerLabels.SERVICE, "hello")
                .containsKey(ContainerLabels.INSTANCE)
                .containsKey(ContainerLabels.HOST_PORT);
        assertThat(container.getPorts()).allSatisfy(p -> assertThat(p.getIp()).isEqualTo("127.0.0.1"));

        RawHttp.Response env = RawHttp.get(proxy(), "hello.localhost", "/cgi-bin/env");
        assertThat(env.body()).contains("PORT=8080");

        RawHttp.Response instances = RawHttp.request(adminAddress(), "GET", "127.0.0.1",
                "/serviceDefinitions/hello/instances", TOKEN, null);
        assertThat(instances.status()).isEqualTo(200);
        assertThat(instances.body()).contains(container.getId());
    }

    @Test
    void fiftyConcurrentFirstRequestsShareOneColdStart() throws Exception {
        assertThat(register("{\"name\":\"herd\",\"image_name\":\"cless-test/hello\",\"port\":8080}").status())
                .isEqualTo(201);
        ExecutorService clients = Executors.newFixedThreadPool(50);
        try {
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(clients.submit(() -> RawHttp.get(proxy(), "herd.localhost", "/")));
            }
            for (Future<RawHttp.Response> answer : answers) {
                RawHttp.Response response = answer.get();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).contains(TestImages.HELLO_BODY);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(containersOf("herd")).hasSize(1);
    }

    @Test
    void definitionsSurviveARestart() throws IOException {
        assertThat(register("{\"name\":\"keep\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"hi\"}}")
                .status()).isEqualTo(201);
        server.close();
        server = startServer();

        RawHttp.Response stored = RawHttp.request(proxy(), "GET", "admin.localhost", "/serviceDefinitions/keep",
                TOKEN, null);
        assertThat(stored.status()).isEqualTo(200);
        assertThat(stored.body()).contains("\"GREETING\":\"hi\"");
        RawHttp.Response env = RawHttp.get(proxy(), "keep.localhost", "/cgi-bin/env");
        assertThat(env.status()).isEqualTo(200);
        assertThat(env.body()).contains("GREETING=hi");
    }

    @Test
    void shutdownLeavesNoManagedContainer() throws IOException {
        assertThat(register("{\"name\":\"gone\",\"image_name\":\"cless-test/hello\"}").status()).isEqualTo(201);
        assertThat(RawHttp.get(proxy(), "gone.localhost", "/").status()).isEqualTo(200);
        assertThat(containersOf("gone")).hasSize(1);

        server.close();
        server = null;
        assertThat(managedContainers()).isEmpty();
    }

    @Test
    void missingImageIs502NamingTheImageAndOthersKeepWorking() throws IOException {
        assertThat(register("{\"name\":\"ghost\",\"image_name\":\"cless-test/no-such-image\",\"image_tag\":\"v9\"}")
                .status()).isEqualTo(201);
        assertThat(register("{\"name\":\"alive\",\"image_name\":\"cless-test/hello\"}").status()).isEqualTo(201);

        RawHttp.Response missing = RawHttp.get(proxy(), "ghost.localhost", "/");
        assertThat(missing.status()).isEqualTo(502);
        assertThat(missing.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(missing.body()).contains("cless-test/no-such-image:v9");

        RawHttp.Response alive = RawHttp.get(proxy(), "alive.localhost", "/");
        assertThat(alive.status()).isEqualTo(200);
        assertThat(alive.body()).contains(TestImages.HELLO_BODY);
        assertThat(RawHttp.get(proxy(), "ghost.localhost", "/").status()).isEqualTo(502);
    }

    @Test
    void metricsCountColdStartsAndTrafficOnBothAdminEndpoints() throws IOException {
        assertThat(register("{\"name\":\"counted\",\"image_name\":\"cless-test/hello\"}").status()).isEqualTo(201);
        assertThat(RawHttp.get(proxy(), "counted.localhost", "/").status()).isEqualTo(200);
        assertThat(RawHttp.get(proxy(), "counted.localhost", "/").status()).isEqualTo(200);
        assertThat(RawHttp.get(proxy(), "nobody.localhost", "/").status()).isEqualTo(404);

        RawHttp.Response viaProxy = RawHttp.request(proxy(), "GET", "admin.localhost", "/metrics", TOKEN, null);
        RawHttp.Response viaAdminPort = RawHttp.request(adminAddress(), "GET", "127.0.0.1", "/metrics", TOKEN, null);
        for (RawHttp.Response metrics : List.of(viaProxy, viaAdminPort)) {
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics.body()).contains(
                    "cless_cold_starts_total{revision=\"counted-00001\",service=\"counted\"} 1.0",
                    "cless_cold_start_duration_seconds_count{revision=\"counted-00001\",service=\"counted\"} 1",
                    "cless_connections_total{service=\"counted\"} 2.0",
                    "cless_instances{revision=\"counted-00001\",service=\"counted\",state=\"ready\"} 1.0",
                    "cless_requests_total{code=\"2xx\",revision=\"counted-00001\",service=\"counted\"} 2.0",
                    "cless_requests_total{code=\"4xx\",revision=\"\",service=\"\"} 1.0",
                    "cless_request_duration_seconds_count{revision=\"counted-00001\",service=\"counted\"} 2",
                    "cless_requests_in_flight{revision=\"counted-00001\",service=\"counted\"} 0.0",
                    "cless_upstream_connections_total{reused=\"false\",revision=\"counted-00001\",service=\"counted\"}",
                    "cless_relayed_bytes_total{direction=\"downstream\",service=\"counted\"}",
                    "cless_client_errors_total{service=\"\",status=\"404\"} 1.0",
                    "jvm_memory_used_bytes",
                    "process_uptime_seconds");
        }
        assertThat(RawHttp.request(adminAddress(), "GET", "127.0.0.1", "/metrics", null, null).status())
                .isEqualTo(401);
    }

    @Test
    void eachRequestOfAKeepAliveConnectionGoesToItsOwnService() throws IOException {
        assertThat(register("{\"name\":\"alpha\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"alpha\"}}")
                .status()).isEqualTo(201);
        assertThat(register("{\"name\":\"beta\",\"image_name\":\"cless-test/hello\",\"env\":{\"GREETING\":\"beta\"}}")
                .status()).isEqualTo(201);
        try (RawHttp.Connection connection = RawHttp.open(proxy())) {
            // The static file: the app closes its connection after each response, cless keeps the client's.
            connection.write("GET / HTTP/1.1\r\nHost: alpha.localhost\r\n\r\n");
            RawHttp.Response first = connection.response();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).contains(TestImages.HELLO_BODY);
            assertThat(first.header("Connection")).isNull();
            connection.write("GET / HTTP/1.1\r\nHost: beta.localhost\r\n\r\n");
            assertThat(connection.response().body()).contains(TestImages.HELLO_BODY);
            connection.write("GET / HTTP/1.1\r\nHost: nosuch.localhost\r\n\r\n");
            assertThat(connection.response().status()).isEqualTo(404);
            // The absolute form, as a client configured with a proxy sends it: busybox gets origin-form. Its CGI
            // answer has no length, so it ends the connection.
            connection.write("GET http://beta.localhost/cgi-bin/env HTTP/1.1\r\nHost: alpha.localhost\r\n\r\n");
            RawHttp.Response env = connection.response();
            assertThat(env.status()).isEqualTo(200);
            assertThat(env.header("Connection")).isEqualTo("close");
            assertThat(env.body()).contains("GREETING=beta", "HTTP_X_FORWARDED_FOR=127.0.0.1",
                    "HTTP_X_FORWARDED_PROTO=http", "HTTP_X_FORWARDED_HOST=beta.localhost");
        }
        assertThat(containersOf("alpha")).hasSize(1);
        assertThat(containersOf("beta")).hasSize(1);
    }

    @Test
    void anUpgradedConnectionIsATunnelThatPassesHalfCloseOn() throws Exception {
        UpgradeEchoImage.ensureBuilt();
        assertThat(register("{\"name\":\"socket\",\"image_name\":\"" + UpgradeEchoImage.IMAGE + "\"}").status())
                .isEqualTo(201);
        try (RawHttp.Connection connection = RawHttp.open(proxy())) {
            connection.write("GET /chat HTTP/1.1\r\nHost: socket.localhost\r\nConnection: Upgrade\r\n"
                    + "Upgrade: echo\r\n\r\n");
            // The app's head as it sent it, and the cold start this first request waited for.
            assertThat(connection.head()).matches("HTTP/1\\.1 101 Switching Protocols\nUpgrade: echo\n"
                    + "Connection: Upgrade\nServer-Timing: cold-start;dur=\\d+");
            connection.write("frame one;");
            assertThat(connection.read("frame one;".length())).isEqualTo("frame one;");
            connection.write("last frame");
            connection.shutdownOutput(); // the app's cat sees the end, exits, and its side ends too
            assertThat(connection.readToEnd()).isEqualTo("last frame");
        }
    }

    @Test
    void unknownHostIs404() throws IOException {
        RawHttp.Response response = RawHttp.get(proxy(), "nobody.localhost", "/");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.body()).contains("nobody.localhost");
    }

    private RawHttp.Response register(String json) throws IOException {
        return RawHttp.request(proxy(), "POST", "admin.localhost", "/serviceDefinitions", TOKEN, json);
    }

    private ClessServer startServer() {
        return new ClessServer(config()).start();
    }

    private ServerConfig config() {
        int first = 30000 + ThreadLocalRandom.current().nextInt(0, 9000);
        return new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.SQLITE, DockerSupport.dockerHost(), first + "-" + (first + 199),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(5), IoMode.AUTO, 2, false, Duration.ofSeconds(1), 100, Duration.ofSeconds(30));
    }

    private InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", server.proxyAddress().getPort());
    }

    private InetSocketAddress adminAddress() {
        return new InetSocketAddress("127.0.0.1", server.adminAddress().getPort());
    }

    private List<Container> managedContainers() {
        return client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ContainerLabels.MANAGED, "true",
                        ContainerLabels.INSTALLATION, docker.installationId()))
                .exec();
    }

    /** The service's containers but its spare, which is only created ahead of need. */
    private List<Container> containersOf(String service) {
        return managedContainers().stream()
                .filter(c -> service.equals(c.getLabels().get(ContainerLabels.SERVICE)))
                .filter(c -> !"created".equals(c.getState()))
                .toList();
    }

    // ---- faults of issue 8, first written against the code before the fix ----

    @Test
    void anUpstreamNamedLocalhostIsReached() throws Exception {
        com.sun.net.httpserver.HttpServer local = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        local.createContext("/", exchange -> {
            byte[] body = "hello from localhost".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        local.start();
        try {
            assertThat(register("{\"name\":\"local\",\"upstream\":\"localhost:" + local.getAddress().getPort()
                    + "\"}").status()).isEqualTo(201);

            RawHttp.Response answer = RawHttp.get(proxy(), "local.localhost", "/");

            assertThat(answer.status()).as("status, body %s", answer.body()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("hello from localhost");
        } finally {
            local.stop(0);
        }
    }

    @Test
    void aSecondServerOnTheSameDataDirStopsWithAMessageAndTheFirstKeepsServing() throws Exception {
        ClessServer second = new ClessServer(config());
        Throwable refused = null;
        try {
            second.start();
        } catch (RuntimeException e) {
            refused = e;
        } finally {
            second.close();
        }

        assertThat(refused).as("the second server refused to start").isNotNull();
        assertThat(refused.getMessage()).contains(dataDir.toAbsolutePath().normalize().toString())
                .contains("PID " + ProcessHandle.current().pid());
        RawHttp.Response health = RawHttp.request(proxy(), "GET", "admin.localhost", "/healthz", TOKEN, null);
        assertThat(health.status()).isEqualTo(200);
    }

    @Test
    void aFailedColdStartIsLoggedOnceAndEachClientsErrorOnlyAtDebug() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        String image = "cless-test/absent-" + ThreadLocalRandom.current().nextInt(1_000_000);
        try {
            assertThat(register("{\"name\":\"absent\",\"image_name\":\"" + image + "\"}").status()).isEqualTo(201);
            ExecutorService clients = Executors.newFixedThreadPool(3);
            try {
                List<Future<RawHttp.Response>> answers = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    answers.add(clients.submit(() -> RawHttp.get(proxy(), "absent.localhost", "/")));
                }
                for (Future<RawHttp.Response> answer : answers) {
                    assertThat(answer.get(60, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(502);
                }
            } finally {
                clients.shutdownNow();
            }
        } finally {
            root.detachAppender(logs);
        }
        double failedStarts = RawHttp.metric(proxy(), TOKEN, "cless_cold_start_failures_total", "absent");
        List<String> warnings = logs.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(image) && !m.contains("spare"))
                .toList();
        assertThat(failedStarts).isGreaterThanOrEqualTo(1);
        assertThat(warnings).as("warnings naming the image").hasSize((int) failedStarts);
    }
}
