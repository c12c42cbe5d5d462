package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.ok;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every request is routed by its own Host, and cless's own answers concern that request only. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutingTest {
    private final ProxyFixture proxy = new ProxyFixture();
    private HttpBackend hello;
    private HttpBackend other;

    @BeforeEach
    void setUp() throws Exception {
        proxy.start(ProxyFixture.config());
        hello = answering("from hello");
        other = answering("from other");
        proxy.instances.leaseTo("hello", hello.address());
        proxy.instances.leaseTo("other", other.address());
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        for (HttpBackend backend : List.of(hello, other)) {
            backend.close();
            assertThat(backend.failures()).isEmpty();
        }
    }

    private static HttpBackend answering(String body) throws Exception {
        return new HttpBackend((request, socket, in, out) -> write(out, ok(body + " " + request.requestLine())));
    }

    private static boolean write(OutputStream out, String text) throws java.io.IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        return true;
    }

    private static String get(String host, String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    }

    @Test
    void routesEveryRequestOnAConnectionByItsOwnHost() throws Exception {
        try (TestClient client = proxy.client()) {
            assertThat(client.send(get("hello.localhost", "/1")).response().body()).isEqualTo("from hello GET /1 HTTP/1.1");
            assertThat(client.send(get("other.localhost", "/2")).response().body()).isEqualTo("from other GET /2 HTTP/1.1");
            TestClient.Response unknown = client.send(get("nosuch.localhost", "/3")).response();
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.body()).contains("no service for host nosuch.localhost");
            assertThat(unknown.header("Connection")).isNull();
            assertThat(client.send("GET http://other.localhost/4 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n").response()
                    .body()).isEqualTo("from other GET /4 HTTP/1.1");
            assertThat(client.send(get("hello.localhost", "/5")).response().body()).isEqualTo("from hello GET /5 HTTP/1.1");
        }
        assertThat(hello.requests).extracting(HttpBackend.Request::requestLine)
                .containsExactly("GET /1 HTTP/1.1", "GET /5 HTTP/1.1");
        assertThat(other.requests).extracting(HttpBackend.Request::requestLine)
                .containsExactly("GET /2 HTTP/1.1", "GET /4 HTTP/1.1");
        List<String> lines = proxy.accessLines(5);
        assertThat(lines.get(0)).contains("host=hello.localhost service=hello revision=hello-00001 instance=i",
                "method=GET path=/1 status=200", "outcome=ok");
        assertThat(lines.get(2)).contains("host=nosuch.localhost service=- revision=- instance=- method=GET path=/3"
                + " status=404", "upstream_ms=-", "outcome=error");
        assertThat(proxy.counted("cless.requests", "service", "hello", "revision", "hello-00001", "code", "2xx"))
                .isEqualTo(2);
        assertThat(proxy.counted("cless.requests", "service", "other", "revision", "other-00001", "code", "2xx"))
                .isEqualTo(2);
        assertThat(proxy.counted("cless.requests", "service", "", "revision", "", "code", "4xx")).isEqualTo(1);
        assertThat(proxy.counted("cless.connections", "service", "hello")).isEqualTo(1);
        assertThat(proxy.counted("cless.connections", "service", "other")).isEqualTo(1);
    }

    @Test
    void eachRequestOnAConnectionDrawsItsRevisionFromTheSplitAndATagsHostReachesItsRevision() throws Exception {
        proxy.registry.update("hello", ServiceDefinition.builder("hello").imageName("cless-test/hello")
                .env(Map.of("V", "2")).build()).join();
        proxy.registry.updateTraffic("hello", List.of(TrafficTarget.to("hello-00001", 50),
                TrafficTarget.to("hello-00002", 50), TrafficTarget.to("hello-00002", 0).withTag("canary"))).join();
        int requests = 200;
        try (TestClient client = proxy.client()) {
            for (int i = 0; i < requests; i++) {
                assertThat(client.send(get("hello.localhost", "/" + i)).response().status()).isEqualTo(200);
            }
            assertThat(client.send(get("Canary--Hello.localhost", "/tagged")).response().status()).isEqualTo(200);
            TestClient.Response noTag = client.send(get("nosuch--hello.localhost", "/")).response();
            assertThat(noTag.status()).isEqualTo(404);
            assertThat(noTag.body()).contains("no service for host nosuch--hello.localhost");
        }
        List<String> split = proxy.instances.acquired.subList(0, requests);
        // Per request, not per connection: one keep-alive connection reaches both (each has 2^-200 to be missed).
        assertThat(split).containsOnly("hello-00001", "hello-00002").contains("hello-00001", "hello-00002");
        assertThat(proxy.instances.acquired.get(requests)).isEqualTo("hello-00002#canary");
        List<String> lines = proxy.accessLines(requests + 2);
        for (int i = 0; i < requests; i++) {
            assertThat(lines.get(i)).contains("path=/" + i + " ", "revision=" + split.get(i) + " ");
        }
        assertThat(lines.get(requests)).contains("host=canary--hello.localhost service=hello revision=hello-00002",
                "path=/tagged", "status=200");
        long first = split.stream().filter("hello-00001"::equals).count();
        assertThat(proxy.counted("cless.requests", "service", "hello", "revision", "hello-00001", "code", "2xx"))
                .isEqualTo(first);
        assertThat(proxy.counted("cless.requests", "service", "hello", "revision", "hello-00002", "code", "2xx"))
                .isEqualTo(requests - first + 1);
        assertThat(proxy.counted("cless.connections", "service", "hello")).isEqualTo(1);
    }

    @Test
    void aRequestIsLoggedAndCountedWithTheRevisionThatServedIt() throws Exception {
        // The traffic moved while the request waited: the lifecycle placed it on another revision than routing chose.
        proxy.instances.answer((service, loop) -> loop.newSucceededFuture(new TestLease(hello.address(), "moved",
                "hello-00002", new java.util.concurrent.CompletableFuture<>(), -1)));
        try (TestClient client = proxy.client()) {
            assertThat(client.send(get("hello.localhost", "/")).response().status()).isEqualTo(200);
        }
        assertThat(proxy.instances.acquired).containsExactly("hello-00001");
        assertThat(proxy.accessLines(1).get(0)).contains("service=hello revision=hello-00002 instance=moved");
        assertThat(proxy.counted("cless.requests", "service", "hello", "revision", "hello-00002", "code", "2xx"))
                .isEqualTo(1);
        assertThat(proxy.meters.get("cless.requests.in.flight").tags("service", "hello", "revision", "hello-00001")
                .gauge().value()).as("in flight where it was counted so").isZero();
    }

    @Test
    void aRefusedRequestsBodyIsReadAndDroppedNeverTakenForARequest() throws Exception {
        // Pingora CVE-2025-4366: a body left unread on a kept connection would be parsed as the next request.
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: hello.localhost\r\n\r\n";
        try (TestClient client = proxy.client()) {
            client.send("POST / HTTP/1.1\r\nHost: nosuch.localhost\r\nContent-Length: " + smuggled.length() + "\r\n\r\n"
                    + smuggled + get("hello.localhost", "/after"));
            assertThat(client.response().status()).isEqualTo(404);
            assertThat(client.response().body()).isEqualTo("from hello GET /after HTTP/1.1");
            client.send("POST / HTTP/1.1\r\nHost: nosuch.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n"
                    + get("hello.localhost", "/again"));
            assertThat(client.response().status()).isEqualTo(404);
            assertThat(client.response().body()).isEqualTo("from hello GET /again HTTP/1.1");
        }
        assertThat(hello.requests).extracting(HttpBackend.Request::requestLine)
                .containsExactly("GET /after HTTP/1.1", "GET /again HTTP/1.1");
    }

    @Test
    void a503KeepsTheConnectionAndA502ClosesIt() throws Exception {
        proxy.instances.answer((service, loop) -> service.name().equals("other")
                ? loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "at max_instances"))
                : loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.START_FAILED, "image missing")));
        try (TestClient client = proxy.client()) {
            TestClient.Response busy = client.send(get("other.localhost", "/")).response();
            assertThat(busy.status()).isEqualTo(503);
            assertThat(busy.header("Retry-After")).isEqualTo("5");
            assertThat(busy.header("Connection")).isNull();
            TestClient.Response broken = client.send(get("hello.localhost", "/")).response();
            assertThat(broken.status()).isEqualTo(502);
            assertThat(broken.body()).contains("could not be started", "image cless-test/hello:latest", "image missing");
            assertThat(broken.header("Connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(proxy.counted("cless.client.errors", "service", "other", "status", "503")).isEqualTo(1);
        assertThat(proxy.counted("cless.client.errors", "service", "hello", "status", "502")).isEqualTo(1);
    }

    @Test
    void aFailureTheLifecycleLoggedIsAnsweredWithADebugLineAndOneItDidNotIsLoggedOnce() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Logger errors =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ClientErrors.class);
        ch.qos.logback.classic.Level level = errors.getLevel();
        errors.setLevel(ch.qos.logback.classic.Level.DEBUG);
        errors.addAppender(logs);
        // A cold start that timed out (the lifecycle logged it once, for every request it failed); a full queue.
        proxy.instances.answer((service, loop) -> loop.newFailedFuture(service.name().equals("hello")
                ? new AcquireFailure(AcquireFailure.Reason.STARTUP_TIMEOUT, "not ready within 30 s", null, true)
                : new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "the wait queue is full")));
        try {
            try (TestClient client = proxy.client()) {
                TestClient.Response late = client.send(get("hello.localhost", "/")).response();
                assertThat(late.status()).isEqualTo(504);
                assertThat(late.body()).contains("service hello (revision hello-00001) was not ready in time",
                        "not ready within 30 s");
                assertThat(client.closedByPeer()).isTrue();
            }
            try (TestClient client = proxy.client()) {
                assertThat(client.send(get("other.localhost", "/")).response().status()).isEqualTo(503);
            }
        } finally {
            errors.detachAppender(logs);
            errors.setLevel(level);
        }
        assertThat(logs.list).extracting(e -> e.getLevel() + " " + e.getFormattedMessage()).satisfiesExactly(
                line -> assertThat(line).startsWith("DEBUG 504 Gateway Timeout for host hello.localhost"),
                line -> assertThat(line).startsWith("WARN 503 Service Unavailable for host other.localhost")
                        .contains("the wait queue is full"));
    }

    @Test
    void aBodyThatArrivesAfterA503IsDroppedAndTheConnectionGoesOn() throws Exception {
        proxy.instances.answer((service, loop) -> {
            io.netty.util.concurrent.Promise<cloud.cless.core.instance.InstanceLease> later = loop.newPromise();
            loop.schedule(() -> later.setFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "queue full")),
                    50, java.util.concurrent.TimeUnit.MILLISECONDS);
            return later;
        });
        try (TestClient client = proxy.client()) {
            client.send("PUT / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 10\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(503);
            client.send("0123456789" + get("nosuch.localhost", "/next"));
            assertThat(client.response().status()).isEqualTo(404);
        }
    }

    @Test
    void aServiceDeletedAfterRoutingIs404() throws Exception {
        proxy.instances.answer((service, loop) -> loop.newFailedFuture(
                new AcquireFailure(AcquireFailure.Reason.NOT_FOUND, "service hello was deleted")));
        try (TestClient client = proxy.client()) {
            TestClient.Response gone = client.send(get("hello.localhost", "/")).response();
            assertThat(gone.status()).isEqualTo(404);
            assertThat(gone.body()).contains("was deleted");
        }
    }

    @Test
    void theAdminHostTakesTheConnectionOverWithItsBytes() throws Exception {
        try (TestClient client = proxy.client()) {
            assertThat(client.send(get("hello.localhost", "/first")).response().status()).isEqualTo(200);
            client.send("POST /serviceDefinitions HTTP/1.1\r\nHost: Admin.Localhost\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
            assertThat(client.response().body()).isEqualTo("admin POST /serviceDefinitions {\"a\":1}");
            // From then on the connection is the admin API's, whatever the Host.
            assertThat(client.send(get("admin.localhost", "/healthz")).response().body()).isEqualTo("admin GET /healthz ");
        }
        assertThat(proxy.accessLines(1).get(0)).contains("path=/first");
    }

    @Test
    void anAdminConnectionEndsWhenTheClientCloses() throws Exception {
        try (TestClient client = proxy.client()) {
            assertThat(client.send(get("admin.localhost", "/healthz")).response().status()).isEqualTo(200);
            assertThat(proxy.proxy.openConnections()).isEqualTo(1);
        }
        // Keep-alive admin connections must not linger half-closed: the drain on shutdown would wait for them.
        assertThat(proxy.proxy.awaitConnectionsClosed(java.time.Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void cleanlyFramedNotFoundsKeepTheConnectionButNotAfterAHalfSentBody() throws Exception {
        try (TestClient client = proxy.client()) {
            // The client waits for a 100 before sending its body: after a 404 nobody knows whether it follows.
            TestClient.Response response = client.send("PUT / HTTP/1.1\r\nHost: nosuch.localhost\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n").response();
            assertThat(response.status()).isEqualTo(404);
            assertThat(response.header("Connection")).isEqualTo("close");
        }
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET / HTTP/1.0\r\n\r\n").response();
            assertThat(response.status()).isEqualTo(404);
            assertThat(response.body()).contains("names no host");
            assertThat(client.closedByPeer()).isTrue();
        }
    }
}
