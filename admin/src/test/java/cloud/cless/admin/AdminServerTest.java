package cloud.cless.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceState;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API over real sockets: every route and every error status of the DESIGN contract. */
class AdminServerTest {
    private static final String RUST = "{\"name\":\"rust\",\"image_name\":\"rust-docker\",\"image_tag\":\"latest\",\"port\":8080}";
    private static final String RUST_STORED = "{\"name\":\"rust\",\"image_name\":\"rust-docker\",\"image_tag\":\"latest\","
            + "\"upstream\":null,\"port\":8080,\"host\":\"rust.localhost\",\"env\":{},\"min_instances\":0,"
            + "\"max_instances\":1,\"concurrency\":0,\"idle_timeout_seconds\":300,\"idle_action\":\"stop\","
            + "\"startup_timeout_seconds\":30,\"readiness_path\":null,\"memory_mb\":null,\"cpus\":null,"
            + "\"traffic\":[{\"latest\":true,\"percent\":100}],\"latest_revision\":\"rust-00001\"}";

    private AdminOverSocket admin;
    private AdminFixture fixture;
    private EventLoopGroup group;
    private AdminServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        admin = new AdminOverSocket();
        fixture = admin.fixture;
        group = admin.group;
        server = admin.server;
        address = admin.address;
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
    }

    private HttpResponse<String> call(String method, String path, String token, BodyPublisher body)
            throws IOException, InterruptedException {
        return admin.call(method, path, token, body);
    }

    private HttpResponse<String> call(String method, String path, String json) throws Exception {
        return admin.call(method, path, json);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return call("GET", path, null);
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        AdminOverSocket.assertError(response, status, code);
    }

    @Test
    void rootAndHealthNeedNoToken() throws Exception {
        HttpResponse<String> root = call("GET", "/", null, BodyPublishers.noBody());
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(root.body()).isEqualTo("Admin server is running");
        HttpResponse<String> health = call("GET", "/healthz", null, BodyPublishers.noBody());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
    }

    @Test
    void everyOtherRouteNeedsTheToken() throws Exception {
        for (String path : List.of("/serviceDefinitions", "/serviceDefinitions/rust",
                "/serviceDefinitions/rust/instances", "/metrics", "/nope")) {
            for (String token : new String[] {null, "wrong", AdminFixture.TOKEN + "x", ""}) {
                HttpResponse<String> response = call("GET", path, token, BodyPublishers.noBody());
                assertError(response, 401, "unauthorized");
                assertThat(response.headers().firstValue("WWW-Authenticate")).get().asString().startsWith("Bearer");
            }
        }
        HttpResponse<String> post = call("POST", "/serviceDefinitions", null, BodyPublishers.ofString(RUST));
        assertError(post, 401, "unauthorized");
        assertThat(fixture.registry.list()).isEmpty();
    }

    @Test
    void theOriginalClessRequestWorksAsItIs() throws Exception {
        HttpResponse<String> created = call("POST", "/serviceDefinitions", RUST);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/serviceDefinitions/rust");
        assertThat(created.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(created.body()).isEqualTo(RUST_STORED);
        assertThat(fixture.registry.findByHost("rust.localhost")).isNotNull();

        HttpResponse<String> one = call("GET", "/serviceDefinitions/rust", null);
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).isEqualTo(RUST_STORED);
    }

    @Test
    void listsDefinitionsSortedByName() throws Exception {
        assertThat(call("GET", "/serviceDefinitions", null).body()).isEqualTo("[]");
        for (String name : List.of("zeta", "alpha", "mid")) {
            assertThat(call("POST", "/serviceDefinitions",
                    "{\"name\":\"" + name + "\",\"image_name\":\"img\"}").statusCode()).isEqualTo(201);
        }
        HttpResponse<String> list = call("GET", "/serviceDefinitions", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).startsWith("[{\"name\":\"alpha\"");
        assertThat(list.body().indexOf("\"mid\"")).isBetween(list.body().indexOf("\"alpha\""),
                list.body().indexOf("\"zeta\""));
    }

    @Test
    void updatesAndDeletes() throws Exception {
        call("POST", "/serviceDefinitions", RUST);
        HttpResponse<String> updated = call("PUT", "/serviceDefinitions/rust",
                "{\"image_name\":\"rust-docker\",\"image_tag\":\"v2\",\"env\":{\"A\":\"1\"},\"idle_action\":\"pause\"}");
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(updated.body()).contains("\"name\":\"rust\"", "\"image_tag\":\"v2\"", "\"env\":{\"A\":\"1\"}",
                "\"idle_action\":\"pause\"", "\"host\":\"rust.localhost\"");
        assertThat(call("GET", "/serviceDefinitions/rust", null).body()).isEqualTo(updated.body());

        HttpResponse<String> deleted = call("DELETE", "/serviceDefinitions/rust", null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        assertError(call("GET", "/serviceDefinitions/rust", null), 404, "not_found");
        assertError(call("DELETE", "/serviceDefinitions/rust", null), 404, "not_found");
        assertError(call("PUT", "/serviceDefinitions/rust", RUST), 404, "not_found");
    }

    @Test
    void listsInstances() throws Exception {
        call("POST", "/serviceDefinitions", RUST);
        assertThat(call("GET", "/serviceDefinitions/rust/instances", null).body()).isEqualTo("[]");
        Instant started = Instant.parse("2024-05-01T10:00:00Z");
        fixture.instances.set("rust", List.of(new InstanceInfo("i1", "rust", "c0ffee", 20001, InstanceState.READY,
                started, started.plusMillis(250), 250, 1, started.plusSeconds(1), "rust-00001")));
        HttpResponse<String> instances = call("GET", "/serviceDefinitions/rust/instances", null);
        assertThat(instances.statusCode()).isEqualTo(200);
        assertThat(instances.body()).isEqualTo("[{\"id\":\"i1\",\"service\":\"rust\",\"revision\":\"rust-00001\","
                + "\"container_id\":\"c0ffee\","
                + "\"host_port\":20001,\"state\":\"ready\",\"started_at\":\"2024-05-01T10:00:00Z\","
                + "\"ready_at\":\"2024-05-01T10:00:00.250Z\",\"cold_start_ms\":250,\"in_flight_requests\":1,"
                + "\"last_activity\":\"2024-05-01T10:00:01Z\"}]");
        assertError(call("GET", "/serviceDefinitions/nope/instances", null), 404, "not_found");
    }

    @Test
    void malformedJsonIs400() throws Exception {
        for (String body : List.of("{\"name\":", "not json", "", "[]", "{\"name\":\"a\"} {}")) {
            assertError(call("POST", "/serviceDefinitions", body), 400, "malformed_json");
        }
    }

    @Test
    void unknownFieldsAndTypeMismatchesAre400NamingTheField() throws Exception {
        HttpResponse<String> unknown = call("POST", "/serviceDefinitions",
                "{\"name\":\"a\",\"image_name\":\"img\",\"replicas\":3}");
        assertError(unknown, 400, "invalid_definition");
        assertThat(unknown.body()).endsWith(",\"fields\":{\"replicas\":\"is not a known field\"}}");

        HttpResponse<String> port = call("POST", "/serviceDefinitions",
                "{\"name\":\"a\",\"image_name\":\"img\",\"port\":\"abc\"}");
        assertError(port, 400, "invalid_definition");
        assertThat(port.body()).contains("\"fields\":{\"port\":\"must be an integer\"}").contains("port");

        HttpResponse<String> env = call("POST", "/serviceDefinitions", "{\"name\":\"a\",\"image_name\":\"img\",\"env\":[1]}");
        assertError(env, 400, "invalid_definition");
        assertThat(env.body()).contains("\"fields\":{\"env\":");
        assertThat(fixture.registry.list()).isEmpty();
    }

    @Test
    void invalidDefinitionFromTheRegistryIs400WithFields() throws Exception {
        call("POST", "/serviceDefinitions", RUST);
        HttpResponse<String> mismatch = call("PUT", "/serviceDefinitions/rust",
                "{\"name\":\"other\",\"image_name\":\"rust-docker\"}");
        assertError(mismatch, 400, "invalid_definition");
        assertThat(mismatch.body()).contains("\"fields\":{\"name\":\"must match the name in the path ('rust')\"}");
    }

    @Test
    void unknownRoutesAndServicesAre404() throws Exception {
        assertError(call("GET", "/serviceDefinitions/nope", null), 404, "not_found");
        for (String path : List.of("/nope", "/metrics/x", "/serviceDefinitions/", "/serviceDefinitions/a/b",
                "/serviceDefinitions/a/instances/x", "/healthz/")) {
            assertError(call("GET", path, null), 404, "not_found");
        }
    }

    @Test
    void wrongMethodsAre405WithAllow() throws Exception {
        record Case(String method, String path, String allow) {
        }
        for (Case c : List.of(new Case("POST", "/", "GET"), new Case("DELETE", "/healthz", "GET"),
                new Case("DELETE", "/serviceDefinitions", "GET, POST"),
                new Case("POST", "/serviceDefinitions/rust", "GET, PUT, DELETE"),
                new Case("PATCH", "/serviceDefinitions/rust", "GET, PUT, DELETE"),
                new Case("POST", "/serviceDefinitions/rust/instances", "GET"))) {
            HttpResponse<String> response = call(c.method(), c.path(), "{}");
            assertError(response, 405, "method_not_allowed");
            assertThat(response.headers().firstValue("Allow")).as(c.toString()).hasValue(c.allow());
        }
    }

    @Test
    void takenNameOrHostIs409() throws Exception {
        call("POST", "/serviceDefinitions", RUST);
        HttpResponse<String> name = call("POST", "/serviceDefinitions", RUST);
        assertError(name, 409, "conflict");
        assertThat(name.body()).contains("\"fields\":{\"name\":\"is taken\"}");

        HttpResponse<String> host = call("POST", "/serviceDefinitions",
                "{\"name\":\"other\",\"image_name\":\"img\",\"host\":\"RUST.localhost\"}");
        assertError(host, 409, "conflict");
        assertThat(host.body()).contains("\"fields\":{\"host\":\"is taken\"}").contains("rust.localhost");
        assertThat(fixture.registry.list()).hasSize(1);
    }

    @Test
    void bodyOverOneMebibyteIs413() throws Exception {
        byte[] big = new byte[AdminPipeline.MAX_BODY_BYTES + 1];
        assertError(call("POST", "/serviceDefinitions", AdminFixture.TOKEN, BodyPublishers.ofByteArray(big)),
                413, "payload_too_large");
        // Without a length the body arrives chunked and is cut off as it grows past the limit.
        assertError(call("POST", "/serviceDefinitions", AdminFixture.TOKEN,
                BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))), 413, "payload_too_large");
        // A body of exactly the limit is read (and then found not to be JSON).
        byte[] limit = new byte[AdminPipeline.MAX_BODY_BYTES];
        java.util.Arrays.fill(limit, (byte) ' ');
        assertError(call("POST", "/serviceDefinitions", AdminFixture.TOKEN, BodyPublishers.ofByteArray(limit)),
                400, "malformed_json");
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void keepsConnectionsAliveAndClosesWhenAsked() throws Exception {
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200 OK").endsWith("{\"status\":\"ok\"}");
            out.write(("GET /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\nAuthorization: Bearer "
                    + AdminFixture.TOKEN + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String last = readResponse(in);
            assertThat(last).startsWith("HTTP/1.1 200 OK").endsWith("[]");
            assertThat(last.toLowerCase(Locale.ROOT)).contains("connection: close");
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void anAdminPortInUseFailsToStartNamingTheFlag() {
        AdminServer second = new AdminServer(address.getPort(), group, NioServerSocketChannel.class, fixture.pipeline);
        assertThatThrownBy(() -> second.start().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("127.0.0.1:" + address.getPort())
                .hasMessageContaining("--admin-port");
        second.close();
    }

    @Test
    void closeUnbinds() throws Exception {
        server.close();
        // NIO releases a listening socket that was registered with a selector at the loop's next select: until
        // then a connect may still land in its backlog. Poll for the refusal.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try (Socket probe = new Socket(address.getAddress(), address.getPort())) {
                assertThat(System.nanoTime()).as("the port still accepts 5 s after close").isLessThan(deadline);
            } catch (IOException refused) {
                return;
            }
            Thread.sleep(10);
        }
    }

    /** Reads one response with a Content-Length body from a raw socket. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside a response head: " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
