package cloud.cless.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.PostgresServer;
import cloud.cless.core.testing.PostgresSupport;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two cless servers wired as {@code cless serve --store postgres --store-url ...} makes them, on one real
 * PostgreSQL: a service registered through one's admin API is served by the other's proxy within a second, and a
 * database outage costs writes (503) but neither reads nor warm traffic, and is over by itself.
 */
class SharedStoreReplicasTest {
    private static final String TOKEN = "replicas-test-token";
    private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);
    private static final Duration SOON = Duration.ofSeconds(30);

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    @TempDir
    Path dir;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private String storeUrl;

    @BeforeEach
    void database() {
        // The password in the URL, so that the test sees it never comes out.
        storeUrl = postgres.freshDatabase() + "&password=" + postgres.password();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            c.close();
        }
        postgres.ownedServer().startAgain();
    }

    @Test
    void aServiceRegisteredThroughOneReplicaIsServedByTheOtherWithinASecond() throws Exception {
        InetSocketAddress one = backend("one");
        InetSocketAddress two = backend("two");
        ClessServer a = replica("a");
        ClessServer b = replica("b");

        RawHttp.Response created = admin(a, "POST", "/serviceDefinitions",
                "{\"name\":\"hello\",\"upstream\":\"127.0.0.1:" + one.getPort() + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(servedWithin(WITHIN_A_SECOND, b, "hello.localhost")).isEqualTo("one");

        RawHttp.Response updated = admin(b, "PUT", "/serviceDefinitions/hello",
                "{\"upstream\":\"127.0.0.1:" + two.getPort() + "\"}");
        assertThat(updated.status()).as(updated.body()).isEqualTo(200);
        assertThat(servedWithin(WITHIN_A_SECOND, a, "hello.localhost", "two")).isEqualTo("two");
        assertThat(admin(a, "GET", "/serviceDefinitions/hello", null).body())
                .isEqualTo(admin(b, "GET", "/serviceDefinitions/hello", null).body());

        assertThat(admin(a, "DELETE", "/serviceDefinitions/hello", null).status()).isEqualTo(204);
        long deadline = System.nanoTime() + WITHIN_A_SECOND.toNanos();
        while (RawHttp.get(proxy(b), "hello.localhost", "/").status() != 404) {
            assertThat(System.nanoTime()).as("b still serves the deleted service").isLessThan(deadline);
        }
    }

    @Test
    void aDatabaseOutageCostsWritesButNeitherReadsNorWarmTrafficAndEndsByItself() throws Exception {
        InetSocketAddress one = backend("one");
        ClessServer a = replica("a");
        ClessServer b = replica("b");
        assertThat(admin(a, "POST", "/serviceDefinitions",
                "{\"name\":\"hello\",\"upstream\":\"127.0.0.1:" + one.getPort() + "\"}").status()).isEqualTo(201);
        servedWithin(SOON, b, "hello.localhost");

        PostgresServer server = postgres.ownedServer();
        server.stop();
        assertThat(RawHttp.get(proxy(a), "hello.localhost", "/").body()).isEqualTo("one");
        assertThat(RawHttp.get(proxy(b), "hello.localhost", "/").body()).isEqualTo("one");
        RawHttp.Response listed = admin(b, "GET", "/serviceDefinitions", null);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body()).contains("\"name\":\"hello\"");

        RawHttp.Response refused = admin(a, "POST", "/serviceDefinitions",
                "{\"name\":\"other\",\"upstream\":\"127.0.0.1:" + one.getPort() + "\"}");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isNotBlank();
        assertThat(refused.body()).contains("\"error\":\"store_unavailable\"").contains("unreachable")
                .contains(storeUrl.replace(postgres.password(), "***"))
                .doesNotContain(postgres.password());

        server.startAgain();
        RawHttp.Response created = null;
        long deadline = System.nanoTime() + SOON.toNanos();
        while (created == null || created.status() == 503) {
            assertThat(System.nanoTime()).as("a writes again").isLessThan(deadline);
            created = admin(a, "POST", "/serviceDefinitions",
                    "{\"name\":\"other\",\"upstream\":\"127.0.0.1:" + one.getPort() + "\"}");
        }
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        servedWithin(SOON, b, "other.localhost");
        assertThat(admin(b, "DELETE", "/serviceDefinitions/other", null).status()).isEqualTo(204);
        deadline = System.nanoTime() + WITHIN_A_SECOND.toNanos();
        while (RawHttp.get(proxy(a), "other.localhost", "/").status() != 404) {
            assertThat(System.nanoTime()).as("a still serves the deleted service").isLessThan(deadline);
        }
    }

    /** What {@code host} answers through the replica's proxy, polled until it answers 200 or the time is up. */
    private static String servedWithin(Duration limit, ClessServer replica, String host) throws IOException {
        return servedWithin(limit, replica, host, null);
    }

    /** As {@link #servedWithin(Duration, ClessServer, String)}, until the body is {@code expected} (when not null). */
    private static String servedWithin(Duration limit, ClessServer replica, String host, String expected)
            throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            RawHttp.Response response = RawHttp.get(proxy(replica), host, "/");
            if (response.status() == 200 && (expected == null || expected.equals(response.body()))) {
                return response.body();
            }
            assertThat(System.nanoTime()).as(host + " through " + replica.proxyAddress() + " answered "
                    + response.status() + " " + response.body()).isLessThan(deadline);
        }
    }

    private ClessServer replica(String name) throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve(name));
        // The data dir carries this class's installation id, so DockerSupport cleans up whatever a test leaves.
        Files.writeString(dataDir.resolve("installation.id"), docker.installationId() + "\n");
        int first = 30000 + ThreadLocalRandom.current().nextInt(0, 9000);
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.POSTGRES, DockerSupport.dockerHost(), first + "-" + (first + 99),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(2), IoMode.AUTO, 2, false, Duration.ofSeconds(1), 100, Duration.ofSeconds(30),
                10, storeUrl);
        ClessServer server = new ClessServer(config).start();
        opened.add(server);
        return server;
    }

    /** An upstream on 127.0.0.1 that answers every request with {@code body}. */
    private InetSocketAddress backend(String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Connection", "close");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        opened.add(() -> server.stop(0));
        return server.getAddress();
    }

    private static RawHttp.Response admin(ClessServer replica, String method, String path, String json)
            throws IOException {
        return RawHttp.request(new InetSocketAddress("127.0.0.1", replica.adminAddress().getPort()), method,
                "127.0.0.1", path, TOKEN, json);
    }

    private static InetSocketAddress proxy(ClessServer replica) {
        return new InetSocketAddress("127.0.0.1", replica.proxyAddress().getPort());
    }
}
