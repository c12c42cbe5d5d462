package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request shapes two parsers could frame differently are refused through the real proxy, with 400 (501 for a
 * coding cless does not know) and a close, and nothing of them reaches the app: RFC 9112 and the hardening lists of
 * Netty (#9865, #10003, #15611), HAProxy, Pingora (CVE-2025-4366, CVE-2026-2833/2835) and Envoy (#12349).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmugglingTest {
    private static final String HOST = "Host: hello.localhost\r\n";

    private final ProxyFixture proxy = new ProxyFixture();
    private HttpBackend backend;

    @BeforeEach
    void setUp() throws Exception {
        proxy.start(ProxyFixture.config());
        backend = new HttpBackend((request, socket, in, out) -> {
            out.write(ok("app saw " + request.requestLine()).getBytes(StandardCharsets.ISO_8859_1));
            return true;
        });
        proxy.instances.leaseTo(backend.address());
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        backend.close();
        assertThat(backend.failures()).isEmpty();
    }

    /** Sends {@code request}; asserts the answer is {@code status}, the connection closes, and the app saw nothing. */
    private String refused(String request, int status) throws Exception {
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send(request).response();
            assertThat(response.status()).as(request).isEqualTo(status);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(client.closedByPeer()).isTrue();
            assertThat(backend.connections.get()).as("connections to the app").isZero();
            return response.body();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // CL.TE and TE.CL
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nX\r\n0\r\n\r\n",
        // several Content-Lengths that differ, or are not digits
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 4, 5\r\n\r\nabcde",
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: +4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 0x4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\n" + HOST + "Content-Length:\r\n\r\n",
        // a Transfer-Encoding whose last coding is not chunked, chunked twice, or in HTTP/1.0
        "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.0\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        // bare LF, obsolete folding, whitespace before a colon, control bytes, two Hosts
        "GET / HTTP/1.1\n" + HOST + "\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "X: a\nContent-Length: 5\r\n\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "X: a\r\n Transfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "Transfer-Encoding : chunked\r\n\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "Content-Length\t: 5\r\n\r\nabcde",
        "GET / HTTP/1.1\r\n" + HOST + "X: a\rContent-Length: 5\r\n\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "X: \u0000\r\n\r\n",
        "GET / HTTP/1.1\r\n" + HOST + "Host: other.localhost\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET /a b HTTP/1.1\r\n" + HOST + "\r\n",
    })
    void refusesAmbiguousHeadsWith400AndForwardsNothing(String request) throws Exception {
        refused(request, 400);
    }

    @Test
    void refusesUnknownTransferCodingsWith501() throws Exception {
        assertThat(refused("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: identity\r\n\r\n", 501))
                .contains("unknown transfer coding");
        refused("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: x-custom, chunked\r\n\r\n0\r\n\r\n", 501);
    }

    @Test
    void aMalformedChunkIs400AndNothingAfterItReachesTheApp() throws Exception {
        for (String badChunks : new String[] {"5\r\nhello\r\nzz\r\n", "5\r\nhelloGET /x HTTP/1.1\r\n",
                "5;ext\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n", "fffffffffffffffff\r\n"}) {
            int before = backend.requests.size();
            try (TestClient client = proxy.client()) {
                TestClient.Response response = client.send("POST /chunks HTTP/1.1\r\n" + HOST
                        + "Transfer-Encoding: chunked\r\n\r\n" + badChunks + "GET /smuggled HTTP/1.1\r\n" + HOST + "\r\n")
                        .response();
                assertThat(response.status()).as(badChunks).isEqualTo(400);
                assertThat(response.body()).contains("chunk");
                assertThat(client.closedByPeer()).isTrue();
            }
            // The app saw at most the head, and its connection was closed: never the bytes after the bad line.
            assertThat(backend.requests.size() - before).isLessThanOrEqualTo(1);
        }
        assertThat(backend.requests).extracting(HttpBackend.Request::requestLine).doesNotContain("GET /smuggled HTTP/1.1");
        // What the app saw of each body ended at the bad line, where cless closed the connection.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (backend.failures().size() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(backend.failures()).hasSize(5).allSatisfy(failure -> assertThat(failure).hasMessageContaining("EOF"));
        backend.failures().clear();
    }

    @Test
    void bytesAfterAnUpgradeTheAppDidNotAcceptAreTheNextRequest() throws Exception {
        // Pingora CVE-2026-2833: a proxy that switches to a tunnel before the app answers 101 lets a second request
        // through unparsed. Here the app answers 200, so what follows is parsed and routed as HTTP.
        try (TestClient client = proxy.client()) {
            client.send("GET /ws HTTP/1.1\r\n" + HOST + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: nosuch.localhost\r\n\r\n");
            assertThat(client.response().body()).isEqualTo("app saw GET /ws HTTP/1.1");
            assertThat(client.response().status()).isEqualTo(404);
        }
        assertThat(backend.requests).hasSize(1);
    }

    @Test
    void anHttp10RequestWithoutLengthHasNoBody() throws Exception {
        // Pingora CVE-2026-2835: a request body is never framed by the close; these bytes are the next request.
        try (TestClient client = proxy.client()) {
            client.send("POST /first HTTP/1.0\r\n" + HOST + "Connection: keep-alive\r\n\r\n"
                    + "GET /second HTTP/1.0\r\n" + HOST + "\r\n");
            assertThat(client.response().body()).isEqualTo("app saw POST /first HTTP/1.0");
            assertThat(client.response().body()).isEqualTo("app saw GET /second HTTP/1.0");
        }
        assertThat(backend.requests).extracting(HttpBackend.Request::body).containsExactly("", "");
    }

    @Test
    void duplicateIdenticalLengthsGoUpstreamAsOne() throws Exception {
        try (TestClient client = proxy.client()) {
            client.send("POST / HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\ncontent-length: 3\r\n\r\nabc");
            assertThat(client.response().status()).isEqualTo(200);
        }
        HttpBackend.Request seen = backend.requests.get(0);
        assertThat(seen.head().toLowerCase().split("content-length", -1)).hasSize(2);
        assertThat(seen.body()).isEqualTo("abc");
    }
}
