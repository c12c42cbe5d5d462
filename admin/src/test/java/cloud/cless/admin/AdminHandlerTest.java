package cloud.cless.admin;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.metrics.RevisionMeters;
import cloud.cless.core.metrics.ServiceMeters;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.ServiceStore;
import cloud.cless.core.store.StoreException;
import cloud.cless.core.store.StoreUnavailableException;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminHandlerTest {
    private static final String AUTH = "Authorization: Bearer " + AdminFixture.TOKEN + "\r\n";
    private final AdminFixture fixture = new AdminFixture();
    private final HttpExchange http = new HttpExchange(fixture.pipeline);

    @AfterEach
    void close() throws Exception {
        http.close();
        fixture.close();
    }

    private static String post(String path, String json) {
        return "POST " + path + " HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH
                + "Content-Type: application/json\r\nContent-Length: " + json.length() + "\r\n\r\n" + json;
    }

    @Test
    void servesBytesReplayedOntoAnActiveChannel() throws Exception {
        http.send("GET / HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
        HttpExchange.Response root = http.awaitOne();
        assertThat(root.status()).isEqualTo(200);
        assertThat(root.body()).isEqualTo("Admin server is running");
        assertThat(root.headers().get("Content-Type")).startsWith("text/plain");
        assertThat(http.channel.isOpen()).isTrue();
        assertThat(http.channel.config().isAutoRead()).isTrue();
    }

    @Test
    void metricsAreServedInPrometheusTextFormatWithTheToken() throws Exception {
        ClessMetrics metrics = new ClessMetrics(fixture.metrics);
        ServiceMeters hello = metrics.service("hello");
        RevisionMeters v1 = metrics.revision("hello", "hello-00001");
        v1.coldStarted(250_000_000L);
        hello.connectionOpened();
        hello.relayedUpstream(10);
        hello.relayedDownstream(20);
        v1.queued();
        v1.queueWaited(1_000_000L);
        metrics.clientError(404, null);
        metrics.clientError(502, "hello");
        metrics.trackInstances("hello", "hello-00001", state -> 1);

        http.send("GET /metrics HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH + "\r\n");
        HttpExchange.Response response = http.awaitOne();

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body()).contains(
                "cless_cold_starts_total{revision=\"hello-00001\",service=\"hello\"} 1.0",
                "cless_cold_start_duration_seconds_bucket{revision=\"hello-00001\",service=\"hello\",le=\"0.25\"} 1",
                "cless_cold_start_duration_seconds_count{revision=\"hello-00001\",service=\"hello\"} 1",
                "cless_connections_open{service=\"hello\"} 1.0",
                "cless_connections_total{service=\"hello\"} 1.0",
                "cless_relayed_bytes_total{direction=\"upstream\",service=\"hello\"} 10.0",
                "cless_relayed_bytes_total{direction=\"downstream\",service=\"hello\"} 20.0",
                "cless_client_errors_total{service=\"\",status=\"404\"} 1.0",
                "cless_client_errors_total{service=\"hello\",status=\"502\"} 1.0",
                "cless_instances{revision=\"hello-00001\",service=\"hello\",state=\"ready\"} 1.0",
                "cless_queue_waits_total{revision=\"hello-00001\",service=\"hello\"} 1.0",
                "cless_queue_wait_duration_seconds_count{revision=\"hello-00001\",service=\"hello\"} 1");
    }

    @Test
    void metricsNeedTheToken() throws Exception {
        http.send("GET /metrics HTTP/1.1\r\nHost: admin.localhost\r\n\r\n"
                + "POST /metrics HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH + "Content-Length: 0\r\n\r\n");
        List<HttpExchange.Response> responses = http.await(2);
        assertThat(responses).extracting(HttpExchange.Response::status).containsExactly(401, 405);
        assertThat(responses.get(0).body()).doesNotContain("cless_");
        assertThat(responses.get(1).headers().get("Allow")).isEqualTo("GET");
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        // The GET would find nothing if it overtook the create, which completes on another thread.
        http.send(post("/serviceDefinitions", "{\"name\":\"a\",\"image_name\":\"img\"}")
                + "GET /serviceDefinitions/a HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH + "\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
        List<HttpExchange.Response> responses = http.await(3);
        assertThat(responses).extracting(HttpExchange.Response::status).containsExactly(201, 200, 200);
        assertThat(responses.get(1).body()).contains("\"name\":\"a\"");
        assertThat(responses.get(2).body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(http.channel.config().isAutoRead()).isTrue();
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        http.send("GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\nConnection: close\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
        HttpExchange.Response response = http.awaitOne();
        assertThat(response.headers().get("Connection")).isEqualTo("close");
        http.channel.runPendingTasks();
        assertThat(http.channel.isOpen()).isFalse();
        assertThat(http.channel.outboundMessages()).isEmpty();
    }

    @Test
    void http10KeepsAliveOnlyWhenAsked() throws Exception {
        http.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        HttpExchange.Response kept = http.awaitOne();
        assertThat(kept.headers().get("Connection")).isEqualToIgnoringCase("keep-alive");
        assertThat(http.channel.isOpen()).isTrue();
        http.send("GET /healthz HTTP/1.0\r\n\r\n");
        assertThat(http.awaitOne().status()).isEqualTo(200);
        http.channel.runPendingTasks();
        assertThat(http.channel.isOpen()).isFalse();
    }

    @Test
    void bodyOverTheLimitByContentLengthIsDiscardedAndTheConnectionServesOn() throws Exception {
        int size = AdminPipeline.MAX_BODY_BYTES + 1;
        http.send("POST /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH
                + "Content-Length: " + size + "\r\n\r\n");
        HttpExchange.Response tooLarge = http.awaitOne();
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.body()).startsWith("{\"error\":\"payload_too_large\",\"message\":");
        http.send(Unpooled.wrappedBuffer(new byte[size]));
        http.send("GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
        assertThat(http.awaitOne().status()).isEqualTo(200);
    }

    @Test
    void chunkedBodyGrowingOverTheLimitGets413() throws Exception {
        http.send("POST /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH
                + "Transfer-Encoding: chunked\r\n\r\n");
        String chunk = "x".repeat(64 * 1024);
        for (int i = 0; i < 17; i++) {
            http.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
        }
        http.send("0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
        List<HttpExchange.Response> responses = http.await(2);
        assertThat(responses).extracting(HttpExchange.Response::status).containsExactly(413, 200);
        assertThat(responses.get(0).body()).contains("payload_too_large");
    }

    @Test
    void expectContinueOverTheLimitGetsTheJson413InsteadOf100() throws Exception {
        http.send("POST /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH
                + "Expect: 100-continue\r\nContent-Length: 2000000\r\n\r\n");
        HttpExchange.Response response = http.awaitOne();
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.body()).contains("payload_too_large");
        assertThat(http.channel.isOpen()).isTrue();
    }

    @Test
    void expectContinueWithinTheLimitContinues() throws Exception {
        String json = "{\"name\":\"b\",\"image_name\":\"img\"}";
        http.send("POST /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH
                + "Expect: 100-continue\r\nContent-Length: " + json.length() + "\r\n\r\n");
        assertThat(http.awaitOne().status()).isEqualTo(100);
        http.send(json);
        assertThat(http.awaitOne().status()).isEqualTo(201);
    }

    @Test
    void brokenHttpGets400AndTheConnectionCloses() throws Exception {
        http.send("GET /healthz HTTX/9\r\n\r\n");
        HttpExchange.Response response = http.awaitOne();
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":\"bad_request\"");
        http.channel.runPendingTasks();
        assertThat(http.channel.isOpen()).isFalse();
    }

    @Test
    void badPercentEscapeInThePathIs400() throws Exception {
        http.send("GET /serviceDefinitions/%zz HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH + "\r\n");
        HttpExchange.Response response = http.awaitOne();
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":\"bad_request\"");
        assertThat(http.channel.isOpen()).isTrue();
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        http.send("GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        HttpExchange.Response response = http.awaitOne();
        assertThat(response.status()).isEqualTo(431);
        assertThat(response.body()).contains("headers_too_large");
    }

    @Test
    void unexpectedFailureIs500WithoutDetails() throws Exception {
        try (HttpExchange broken = new HttpExchange(pipelineOn(failingStore(
                new StoreException("disk on fire", null))))) {
            broken.send(post("/serviceDefinitions", "{\"name\":\"a\",\"image_name\":\"img\"}"));
            HttpExchange.Response response = broken.awaitOne();
            assertThat(response.status()).isEqualTo(500);
            assertThat(response.body()).isEqualTo(
                    "{\"error\":\"internal_error\",\"message\":\"internal error; the server log has the details\"}");
            assertThat(broken.channel.isOpen()).isTrue();
        }
    }

    @Test
    void aStoreOutOfReachIs503SayingSoWhileReadsAreServed() throws Exception {
        String message = "service store jdbc:postgresql://db.example/cless?user=cless&password=*** is unreachable:"
                + " cannot write service 'a': Connection refused";
        try (HttpExchange broken = new HttpExchange(pipelineOn(failingStore(
                new StoreUnavailableException(message, null))))) {
            broken.send(post("/serviceDefinitions", "{\"name\":\"a\",\"image_name\":\"img\"}"));
            HttpExchange.Response response = broken.awaitOne();
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.headers().get("Retry-After")).isNotBlank();
            assertThat(response.body()).contains("\"error\":\"store_unavailable\"")
                    .contains("is unreachable").contains("jdbc:postgresql://db.example/cless?user=cless&password=***");
            broken.send("GET /serviceDefinitions HTTP/1.1\r\nHost: admin.localhost\r\n" + AUTH + "\r\n");
            assertThat(broken.awaitOne().status()).isEqualTo(200);
            assertThat(broken.channel.isOpen()).isTrue();
        }
    }

    private AdminPipeline pipelineOn(ServiceStore store) {
        ServiceRegistry registry = new ServiceRegistry(store, new ServiceValidator(),
                new DefinitionDefaults("localhost", 300, 30), fixture.blocking);
        return new AdminPipeline(registry, fixture.instances, AdminToken.of(AdminFixture.TOKEN), fixture.metrics,
                fixture.clusterStatus);
    }

    /** A store that reads as empty and fails every write with {@code failure}. */
    private static ServiceStore failingStore(RuntimeException failure) {
        return new ServiceStore() {
            @Override
            public List<RegisteredService> list() {
                return List.of();
            }

            @Override
            public Optional<RegisteredService> get(String name) {
                return Optional.empty();
            }

            @Override
            public int lastRevisionNumber(String name) {
                return 0;
            }

            @Override
            public <T> T write(String name, Plan<T> plan) {
                throw failure;
            }

            @Override
            public void close() {
            }
        };
    }
}
