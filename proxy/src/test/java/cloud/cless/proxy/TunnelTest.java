package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** After a 101 the connection is a byte tunnel that holds its request's lease until it closes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunnelTest {
    private static final String UPGRADE = "GET /ws HTTP/1.1\r\nHost: hello.localhost\r\nConnection: Upgrade\r\n"
            + "Upgrade: websocket\r\n\r\n";
    private static final String SWITCHED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\n\r\n";

    private final ProxyFixture proxy = new ProxyFixture();

    @BeforeEach
    void setUp() {
        proxy.start(ProxyFixture.config());
    }

    @AfterEach
    void tearDown() {
        proxy.close();
    }

    @Test
    void aTunnelCarriesBytesBothWaysAndHoldsItsLeaseUntilItCloses() throws Exception {
        proxy.backend(socket -> {
            InputStream in = socket.getInputStream();
            assertThat(TestBackend.readHead(in)).startsWith("GET /ws HTTP/1.1\r\n").contains("Upgrade: websocket\r\n",
                    "Connection: upgrade\r\n");
            // Bytes the app sends right after its 101 come in the same read as the head.
            TestBackend.write(socket, SWITCHED + "hello from the app;");
            byte[] buffer = new byte[64];
            int n;
            while ((n = in.read(buffer)) > 0) {
                socket.getOutputStream().write(buffer, 0, n); // echo
            }
        });
        try (TestClient client = proxy.client()) {
            // Bytes the client sends right behind its upgrade request wait for the 101, then go through.
            client.send(UPGRADE + "early;");
            assertThat(TestBackend.readHead(client.in)).isEqualTo(SWITCHED);
            assertThat(new String(client.in.readNBytes("hello from the app;early;".length()), StandardCharsets.US_ASCII))
                    .isEqualTo("hello from the app;early;");
            assertThat(proxy.instances.leases).hasSize(1);
            assertThat(proxy.instances.leases.get(0).releases.get()).isZero();
            assertThat(proxy.meters.get("cless.requests.in.flight").tag("service", "hello").gauge().value()).isEqualTo(1);
            client.send("ping");
            assertThat(new String(client.in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
        proxy.instances.awaitReleased(1);
        String line = proxy.accessLines(1).get(0);
        assertThat(line).contains("status=101", "outcome=upgraded", "in=" + (UPGRADE.length() + "early;ping".length()));
    }

    @Test
    void aSlowClientThrottlesTheAppThroughATunnel() throws Exception {
        long size = 64L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        CountDownLatch clientDone = new CountDownLatch(1);
        proxy.backend(socket -> {
            TestBackend.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(SWITCHED.getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            for (long left = size; left > 0; left -= chunk.length) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
            sent.complete(null);
            clientDone.await();
        });
        try (TestClient client = proxy.client()) {
            client.send(UPGRADE);
            long last = -1;
            for (int i = 0; i < 60 && written.get() != last; i++) {
                last = written.get();
                Thread.sleep(500);
            }
            assertThat(written.get()).isLessThan(size / 4);
            assertThat(TestBackend.readHead(client.in)).isEqualTo(SWITCHED);
            assertThat(client.in.readNBytes((int) size)).hasSize((int) size);
            sent.get(30, TimeUnit.SECONDS);
        } finally {
            clientDone.countDown();
        }
    }

    @Test
    void aNon101AnswerToAnUpgradeKeepsHttpFraming() throws Exception {
        proxy.backend(socket -> {
            InputStream in = socket.getInputStream();
            TestBackend.readHead(in);
            TestBackend.write(socket, TestBackend.ok("no upgrade here"));
            assertThat(TestBackend.readHead(in)).startsWith("GET /next HTTP/1.1");
            TestBackend.write(socket, TestBackend.ok("next"));
            in.read();
        });
        try (TestClient client = proxy.client()) {
            assertThat(client.send(UPGRADE).response().body()).isEqualTo("no upgrade here");
            assertThat(client.send("GET /next HTTP/1.1\r\nHost: hello.localhost\r\n\r\n").response().body())
                    .isEqualTo("next");
        }
    }

    @Test
    void a101ToARequestThatDidNotAskIsMalformed() throws Exception {
        proxy.backend(socket -> {
            TestBackend.readHead(socket.getInputStream());
            TestBackend.write(socket, SWITCHED);
            socket.getInputStream().read();
        });
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n").response();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.body()).contains("did not ask to upgrade");
        }
    }
}
