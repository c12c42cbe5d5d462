package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Upstream connections are pooled per instance and event loop (one loop here, so every client shares the pool). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamPoolTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n";

    private final ProxyFixture proxy = new ProxyFixture(Transport.select(IoMode.AUTO), 1);
    private HttpBackend backend;

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        if (backend != null) {
            backend.close();
            assertThat(backend.failures()).isEmpty();
        }
    }

    private void start(ProxyConfig config, HttpBackend.Responder responder) throws Exception {
        proxy.start(config);
        backend = new HttpBackend(responder);
        proxy.instances.leaseTo(backend.address());
    }

    private static boolean write(OutputStream out, String text) throws java.io.IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        return true;
    }

    private String fetch(String request) throws Exception {
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send(request).response();
            return response.status() + " " + response.body();
        }
    }

    private double upstreamConnections(boolean reused) {
        return proxy.counted("cless.upstream.connections", "service", "hello", "reused", Boolean.toString(reused));
    }

    @Test
    void aCleanExchangeLeavesItsConnectionForTheNextClient() throws Exception {
        start(ProxyFixture.config(), (request, socket, in, out) -> write(out, ok("pooled")));
        for (int i = 0; i < 5; i++) {
            assertThat(fetch(GET)).isEqualTo("200 pooled");
        }
        assertThat(backend.connections.get()).isEqualTo(1);
        assertThat(upstreamConnections(false)).isEqualTo(1);
        assertThat(upstreamConnections(true)).isEqualTo(4);
    }

    @Test
    void anIdleConnectionIsClosedAfterTheUpstreamIdleTimeout() throws Exception {
        CountDownLatch closedByCless = new CountDownLatch(1);
        start(ProxyFixture.config().withUpstreamIdleTimeout(Duration.ofMillis(300)), (request, socket, in, out) -> {
            write(out, ok("once"));
            out.flush();
            if (in.read() < 0) { // cless closes the idle connection
                closedByCless.countDown();
            }
            return false;
        });
        assertThat(fetch(GET)).isEqualTo("200 once");
        assertThat(closedByCless.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(fetch(GET)).isEqualTo("200 once");
        assertThat(backend.connections.get()).isEqualTo(2);
    }

    @Test
    void idleConnectionsCloseWhenTheirInstanceRetires() throws Exception {
        CountDownLatch closedByCless = new CountDownLatch(1);
        start(ProxyFixture.config(), (request, socket, in, out) -> {
            write(out, ok("before retirement"));
            out.flush();
            if (in.read() < 0) {
                closedByCless.countDown();
            }
            return false;
        });
        assertThat(fetch(GET)).isEqualTo("200 before retirement");
        proxy.instances.retire(backend.address());
        assertThat(closedByCless.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aConnectionTheAppClosesOrCannotFrameIsNotReused() throws Exception {
        AtomicInteger served = new AtomicInteger();
        start(ProxyFixture.config(), (request, socket, in, out) -> {
            int n = served.incrementAndGet();
            return write(out, switch (n) {
                case 1 -> "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n1";
                case 2 -> "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n2";
                case 3 -> "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3extra";
                default -> ok(Integer.toString(n));
            }) && n > 3;
        });
        for (int i = 1; i <= 5; i++) {
            assertThat(fetch(GET)).isEqualTo("200 " + i);
        }
        assertThat(backend.connections.get()).isEqualTo(4);
    }

    @Test
    void anIdempotentRequestOnAReusedConnectionThatFailsBeforeAnswerIsSentAgainOnANewOne() throws Exception {
        AtomicInteger heads = new AtomicInteger();
        start(ProxyFixture.config(), (request, socket, in, out) -> {
            // The second request finds the pooled connection closed by the app as it arrived.
            if (heads.incrementAndGet() == 2) {
                return false;
            }
            return write(out, ok("served " + request.requestLine()));
        });
        assertThat(fetch(GET)).isEqualTo("200 served GET / HTTP/1.1");
        assertThat(fetch("PUT /p HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 4\r\n\r\nbody"))
                .isEqualTo("200 served PUT /p HTTP/1.1");
        assertThat(backend.requests).extracting(HttpBackend.Request::body).containsExactly("", "body", "body");
        assertThat(backend.connections.get()).isEqualTo(2);
        proxy.instances.awaitReleased(2);
    }

    @Test
    void aPostOnAReusedConnectionThatFailsIsNotSentAgain() throws Exception {
        AtomicInteger heads = new AtomicInteger();
        start(ProxyFixture.config(), (request, socket, in, out) -> {
            if (heads.incrementAndGet() == 2) {
                return false;
            }
            return write(out, ok("served"));
        });
        assertThat(fetch(GET)).isEqualTo("200 served");
        String response = fetch("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 4\r\n\r\nbody");
        assertThat(response).startsWith("502 ").contains("failed before answering");
        assertThat(backend.requests).hasSize(2);
        proxy.instances.awaitReleased(2);
    }
}
