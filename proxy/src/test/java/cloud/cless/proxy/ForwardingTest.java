package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests and responses through the proxy over real sockets: heads rewritten, bodies framed and forwarded as bytes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardingTest {
    private final ProxyFixture proxy = new ProxyFixture();
    private HttpBackend backend;

    @BeforeEach
    void setUp() {
        proxy.start(ProxyFixture.config());
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        if (backend != null) {
            backend.close();
            assertThat(backend.failures()).isEmpty();
        }
    }

    private void backend(HttpBackend.Responder responder) throws Exception {
        backend = new HttpBackend(responder);
        proxy.instances.leaseTo(backend.address());
    }

    private static boolean write(java.io.OutputStream out, String text) throws java.io.IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        return true;
    }

    @Test
    void forwardsInOriginFormWithForwardedFieldsAndWithoutHopByHopOnes() throws Exception {
        backend((request, socket, in, out) -> write(out, ok("hi")));
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET http://hello.localhost:80/path?q=1 HTTP/1.1\r\n"
                    + "Host: hello.localhost\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\nX-Forwarded-For: 6.6.6.6\r\n"
                    + "Accept: */*\r\n\r\n").response();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hi");
        }
        HttpBackend.Request seen = backend.requests.get(0);
        assertThat(seen.head()).isEqualTo("GET /path?q=1 HTTP/1.1\r\nAccept: */*\r\nHost: hello.localhost:80\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: hello.localhost:80\r\n\r\n");
        proxy.instances.awaitReleased(1);
    }

    @Test
    void aTrustedProxysForwardedFieldsAreKeptAndItsChainExtended() throws Exception {
        proxy.start(ProxyFixture.config().withTrustedProxies(TrustedProxies.parse(java.util.List.of("127.0.0.0/8"))));
        backend((request, socket, in, out) -> write(out, ok("hi")));
        try (TestClient client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\nX-Forwarded-For: 203.0.113.9\r\n"
                    + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n\r\n").response();
        }
        HttpBackend.Request seen = backend.requests.get(0);
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("203.0.113.9, 127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("shop.example");
    }

    @Test
    void servesSeveralRequestsOnOneConnectionEachUnderItsOwnLease() throws Exception {
        backend((request, socket, in, out) -> write(out, ok("answer to " + request.body())));
        try (TestClient client = proxy.client()) {
            for (int i = 1; i <= 3; i++) {
                client.send("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 2\r\n\r\nq" + i);
                assertThat(client.response().body()).isEqualTo("answer to q" + i);
            }
            // Between requests the connection holds no lease: every one was released already.
            proxy.instances.awaitReleased(3);
        }
        assertThat(backend.connections.get()).isEqualTo(1);
    }

    @Test
    void answersPipelinedRequestsInOrderForwardingEachOnlyAfterThePreviousResponse() throws Exception {
        backend((request, socket, in, out) -> {
            // Nothing of the next request may have been forwarded while this one is unanswered.
            Thread.sleep(50);
            assertThat(in.available()).isZero();
            return write(out, ok("r" + request.requestLine().split(" ")[1]));
        });
        try (TestClient client = proxy.client()) {
            client.send("GET /1 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n"
                    + "POST /2 HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /3 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("r/1");
            assertThat(client.response().body()).isEqualTo("r/2");
            assertThat(client.response().body()).isEqualTo("r/3");
        }
        assertThat(backend.requests).extracting(HttpBackend.Request::body).containsExactly("", "abc", "");
    }

    @Test
    void forwardsChunkedBodiesBothWaysAsTheyCame() throws Exception {
        String requestChunks = "5;note=x\r\nhello\r\n6\r\n world\r\n0\r\nChecksum: 1\r\n\r\n";
        String responseChunks = "3\r\nabc\r\n0\r\n\r\n";
        backend((request, socket, in, out) -> write(out,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + responseChunks));
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("POST /up HTTP/1.1\r\nHost: hello.localhost\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + requestChunks).response();
            assertThat(response.body()).isEqualTo(responseChunks);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            // The connection is still good for the next request.
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(200);
        }
        assertThat(backend.requests.get(0).body()).isEqualTo(requestChunks);
    }

    @Test
    void responsesToHeadAnd204And304HaveNoBody() throws Exception {
        backend((request, socket, in, out) -> {
            String path = request.requestLine().split(" ")[1];
            return write(out, switch (path) {
                case "/204" -> "HTTP/1.1 204 No Content\r\n\r\n";
                case "/304" -> "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"x\"\r\n\r\n";
                default -> "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + (request.requestLine().startsWith("HEAD")
                        ? "" : "0123456789");
            });
        });
        try (TestClient client = proxy.client()) {
            client.send("HEAD / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            TestClient.Response head = client.response(true);
            assertThat(head.header("Content-Length")).isEqualTo("10");
            client.send("GET /204 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(204);
            client.send("GET /304 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(304);
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("0123456789");
        }
        assertThat(backend.connections.get()).isEqualTo(1);
    }

    @Test
    void passesExpectContinueAndInterimResponsesOn() throws Exception {
        backend((request, socket, in, out) -> {
            if (request.header("Expect") == null) {
                return write(out, ok("plain"));
            }
            write(out, "HTTP/1.1 100 Continue\r\n\r\n");
            out.flush();
            String body = new String(in.readNBytes(5), StandardCharsets.ISO_8859_1);
            return write(out, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + ok("got " + body));
        });
        try (TestClient client = proxy.client()) {
            client.send("PUT /x HTTP/1.1\r\nHost: hello.localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(100);
            client.send("hello");
            TestClient.Response hints = client.response();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("Link")).isEqualTo("</s.css>");
            assertThat(client.response().body()).isEqualTo("got hello");
            // Framed cleanly all along: the connection carries on.
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("plain");
        }
    }

    @Test
    void anHttp10ClientGetsNoInterimResponseAndIsToldTheConnectionStays() throws Exception {
        backend((request, socket, in, out) -> write(out, "HTTP/1.1 103 Early Hints\r\n\r\n" + ok("ten")));
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET / HTTP/1.0\r\nHost: hello.localhost\r\n"
                    + "Connection: keep-alive\r\n\r\n").response();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualTo("keep-alive");
            client.send("GET / HTTP/1.0\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("ten");
            assertThat(client.closedByPeer()).isTrue();
        }
        // cless asked the app to keep its connection for the HTTP/1.0 client.
        assertThat(backend.requests.get(0).header("Connection")).isEqualTo("keep-alive");
    }

    @Test
    void aResponseFramedByTheCloseEndsTheClientConnection() throws Exception {
        backend((request, socket, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nuntil the end");
            return false;
        });
        try (TestClient client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            String all = client.readToEnd();
            assertThat(all).startsWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain\nConnection: close\r\n\r\n")
                    .endsWith("until the end");
        }
        proxy.instances.awaitReleased(1);
    }

    @Test
    void aClientThatAsksToCloseIsClosedAfterItsResponse() throws Exception {
        backend((request, socket, in, out) -> write(out, ok("bye")));
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n"
                    + "Connection: close\r\n\r\n").response();
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
        }
        // The app's connection did not hear of the client's close: it goes back to the pool.
        assertThat(backend.requests.get(0).header("Connection")).isNull();
    }

    @Test
    void aMalformedResponseIs502AndItsConnectionIsNotReused() throws Exception {
        backend((request, socket, in, out) -> write(out, request.requestLine().contains("/bad")
                ? "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab" : ok("fine")));
        try (TestClient client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("fine");
            client.send("GET /bad HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            TestClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.body()).contains("malformed response", "conflicting Content-Length");
            assertThat(client.closedByPeer()).isTrue();
        }
        try (TestClient client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("fine");
        }
        assertThat(backend.connections.get()).isEqualTo(2);
    }

    @Test
    void aResponseThatWaitedForAColdStartSaysHowLong() throws Exception {
        backend((request, socket, in, out) -> write(out, ok("warm now")));
        proxy.instances.coldStartWait(321);
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n").response();
            assertThat(response.header("Server-Timing")).isEqualTo("cold-start;dur=321");
            assertThat(response.body()).isEqualTo("warm now");
        }
        assertThat(proxy.accessLines(1).get(0)).contains("cold=1");
    }
}
