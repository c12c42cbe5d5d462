package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.ok;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceLease;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A client connection's life: timeouts and limits on every request, leases per request, connects, the drain. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientConnectionTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n";

    private final ProxyFixture proxy = new ProxyFixture();
    private HttpBackend backend;

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        if (backend != null) {
            backend.close();
            assertThat(backend.failures()).isEmpty();
        }
    }

    private void start(ProxyConfig config) throws Exception {
        proxy.start(config);
        backend = new HttpBackend((request, socket, in, out) -> write(out, ok("ok " + request.requestLine())));
        proxy.instances.leaseTo(backend.address());
    }

    private static boolean write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        return true;
    }

    @Test
    void anIdleClientConnectionClosesAfterTheKeepAliveTimeoutHoldingNoLease() throws Exception {
        start(ProxyFixture.config().withKeepAliveTimeout(Duration.ofMillis(500)));
        try (TestClient client = proxy.client()) {
            assertThat(client.send(GET).response().status()).isEqualTo(200);
            proxy.instances.awaitReleased(1); // idle: no lease held
            long idleSince = System.nanoTime();
            assertThat(client.closedByPeer()).isTrue();
            assertThat(System.nanoTime() - idleSince).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
        }
    }

    @Test
    void everyHeadHasTheHeaderTimeoutAndTheSizeLimit() throws Exception {
        start(ProxyFixture.config().withHeaderTimeout(Duration.ofMillis(300)).withMaxHeaderSize(1024));
        try (TestClient client = proxy.client()) {
            assertThat(client.send(GET).response().status()).isEqualTo(200);
            client.send("GET /second HTTP/1.1\r\nHost: hel");
            TestClient.Response slow = client.response();
            assertThat(slow.status()).isEqualTo(408);
            assertThat(slow.body()).contains("not complete within 300 ms");
        }
        try (TestClient client = proxy.client()) {
            assertThat(client.send(GET).response().status()).isEqualTo(200);
            TestClient.Response big = client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\nX: " + "x".repeat(2000)
                    + "\r\n\r\n").response();
            assertThat(big.status()).isEqualTo(431);
            assertThat(big.body()).contains("larger than 1024 bytes");
        }
        try (TestClient client = proxy.client()) {
            // Nothing at all within the header timeout of a new connection.
            assertThat(client.response().status()).isEqualTo(408);
        }
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        start(ProxyFixture.config().withMaxBodySize(10));
        try (TestClient client = proxy.client()) {
            TestClient.Response declared = client.send("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 11\r\n\r\n"
                    + "01234567890").response();
            assertThat(declared.status()).isEqualTo(413);
            assertThat(declared.body()).contains("larger than the limit of 10 bytes");
        }
        assertThat(backend.connections.get()).isZero();
        try (TestClient client = proxy.client()) {
            TestClient.Response chunked = client.send("POST / HTTP/1.1\r\nHost: hello.localhost\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n").response();
            assertThat(chunked.status()).isEqualTo(413);
            assertThat(client.closedByPeer()).isTrue();
        }
        try (TestClient client = proxy.client()) {
            assertThat(client.send("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 10\r\n\r\n0123456789")
                    .response().status()).isEqualTo(200);
        }
        backend.failures().clear(); // the app saw the chunked request cut off where cless refused it
    }

    @Test
    void aClientThatLeavesWhileItsLeaseIsAwaitedGivesItsPlaceUp() throws Exception {
        proxy.start(ProxyFixture.config());
        proxy.instances.holdAcquires();
        try (TestClient reset = proxy.client()) {
            reset.send(GET);
            proxy.instances.awaitHeld(1);
            reset.socket.setSoLinger(true, 0); // a reset
        }
        try (TestClient leaving = proxy.client()) {
            leaving.send(GET);
            proxy.instances.awaitHeld(2);
            leaving.socket.shutdownOutput(); // a FIN, which is how a client that closes its socket looks
            assertThat(leaving.closedByPeer()).isTrue();
        }
        for (Promise<InstanceLease> promise : proxy.instances.held) {
            assertThat(promise.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(promise.isCancelled()).as("its place given up").isTrue();
            TestLease late = proxy.instances.newLease(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
            assertThat(promise.trySuccess(late)).as("a late lease has nobody to go to").isFalse();
        }
        assertThat(proxy.accessLines(2)).allSatisfy(line -> assertThat(line).contains("outcome=aborted"));
        assertThat(proxy.proxy.awaitConnectionsClosed(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void aBodySentWhileTheLeaseIsAwaitedReachesTheInstance() throws Exception {
        proxy.start(ProxyFixture.config());
        backend = new HttpBackend((request, socket, in, out) -> write(out, ok("got " + request.body())));
        proxy.instances.holdAcquires();
        try (TestClient client = proxy.client()) {
            client.send("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 18\r\n\r\n");
            Promise<InstanceLease> acquire = proxy.instances.awaitHeld(1);
            client.send("sent while waiting");
            // More bytes are not a client that left: the acquire is still there to complete.
            acquire.setSuccess(proxy.instances.newLease(backend.address()));
            assertThat(client.response().body()).isEqualTo("got sent while waiting");
        }
        proxy.instances.awaitReleased(1);
    }

    @Test
    void aRefusedConnectIsRetriedOnceOnANewLeaseThen502() throws Exception {
        proxy.start(ProxyFixture.config());
        InetSocketAddress closed = closedAddress();
        backend = HttpBackend.answering("served by the fresh instance");
        AtomicInteger acquires = new AtomicInteger();
        proxy.instances.answer((service, loop) -> loop.newSucceededFuture(
                proxy.instances.newLease(acquires.getAndIncrement() == 0 ? closed : backend.address())));
        try (TestClient client = proxy.client()) {
            assertThat(client.send(GET).response().body()).isEqualTo("served by the fresh instance");
        }
        proxy.instances.awaitReleased(2);
        assertThat(proxy.instances.leases.get(0).connectFailure.get()).isNotNull();
        assertThat(proxy.instances.leases.get(1).connectFailure.get()).isNull();

        proxy.instances.leaseTo(closed);
        try (TestClient client = proxy.client()) {
            TestClient.Response response = client.send(GET).response();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.body()).contains("connecting to service hello");
        }
        proxy.instances.awaitReleased(4);
    }

    @Test
    void aTimedOutConnectIs502AndLeavesTheInstanceInService() throws Exception {
        proxy.start(ProxyFixture.config().withConnectTimeout(Duration.ofMillis(300)));
        // A listener that never accepts, its accept queue filled: the kernel drops further SYNs, so a connect
        // times out, as it does on an app too busy to accept.
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), busy.getLocalPort());
            List<Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket filler = new Socket();
                    queued.add(filler);
                    try {
                        filler.connect(address, 200);
                    } catch (IOException full) {
                        break;
                    }
                }
                proxy.instances.leaseTo(address);
                try (TestClient client = proxy.client()) {
                    TestClient.Response response = client.send(GET).response();
                    assertThat(response.status()).isEqualTo(502);
                    assertThat(response.body()).contains("timed out");
                }
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
        proxy.instances.awaitReleased(2);
        assertThat(proxy.instances.leases).allSatisfy(l -> assertThat(l.connectFailure.get()).isNull());
    }

    @Test
    void theDrainClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirResponse() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        proxy.start(ProxyFixture.config());
        backend = new HttpBackend((request, socket, in, out) -> {
            if (request.requestLine().contains("/slow")) {
                requestArrived.countDown();
                answer.await();
            }
            return write(out, ok("done"));
        });
        proxy.instances.leaseTo(backend.address());
        try (TestClient idle = proxy.client(); TestClient busy = proxy.client(); TestClient fresh = proxy.client()) {
            assertThat(idle.send(GET).response().status()).isEqualTo(200);
            busy.send("GET /slow HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            assertThat(requestArrived.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.proxy.stopAccepting();
            proxy.proxy.drain();

            assertThat(idle.closedByPeer()).isTrue();
            assertThat(fresh.closedByPeer()).isTrue();
            answer.countDown();
            TestClient.Response last = busy.response();
            assertThat(last.body()).isEqualTo("done");
            assertThat(last.header("Connection")).isEqualTo("close");
            assertThat(busy.closedByPeer()).isTrue();
        }
        assertThat(proxy.proxy.awaitConnectionsClosed(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void aTakenPortIsAClearBindError() throws Exception {
        start(ProxyFixture.config());
        ProxyServer second = new ProxyServer(ProxyConfig.defaults("127.0.0.1", proxy.port, "localhost"),
                proxy.transport, proxy.group, proxy.registry, proxy.instances, new EchoAdmin(), proxy.metrics);
        org.assertj.core.api.Assertions.assertThatThrownBy(second::start)
                .isInstanceOf(ProxyBindException.class)
                .hasMessage("cannot bind 127.0.0.1:" + proxy.port + ": address already in use");
    }

    @Test
    void countsOpenConnectionsAndRequestsInFlight() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        CountDownLatch arrived = new CountDownLatch(1);
        proxy.start(ProxyFixture.config());
        backend = new HttpBackend((request, socket, in, out) -> {
            arrived.countDown();
            answer.await();
            return write(out, ok("x"));
        });
        proxy.instances.leaseTo(backend.address());
        AtomicReference<TestClient.Response> response = new AtomicReference<>();
        try (TestClient client = proxy.client()) {
            client.send(GET);
            assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.proxy.openConnections()).isEqualTo(1);
            assertThat(proxy.meters.get("cless.requests.in.flight").tag("service", "hello").gauge().value()).isEqualTo(1);
            assertThat(proxy.meters.get("cless.connections.open").tag("service", "hello").gauge().value()).isEqualTo(1);
            answer.countDown();
            response.set(client.response());
        }
        assertThat(response.get().status()).isEqualTo(200);
        assertThat(proxy.proxy.awaitConnectionsClosed(Duration.ofSeconds(10))).isTrue();
        String line = proxy.accessLines(1).get(0);
        assertThat(line).startsWith("client=127.0.0.1:").contains("host=hello.localhost", "service=hello",
                "instance=i" + backend.address().getPort(), "method=GET", "path=/", "status=200",
                "in=" + GET.length(), "out=" + ok("x").length(), "cold=0", "outcome=ok").containsPattern(" ms=\\d+ ")
                .containsPattern(" upstream_ms=\\d+ ");
        assertThat(proxy.meters.get("cless.requests.in.flight").tag("service", "hello").gauge().value()).isZero();
        assertThat(proxy.meters.get("cless.connections.open").tag("service", "hello").gauge().value()).isZero();
        assertThat(proxy.meters.get("cless.request.duration").tag("service", "hello").timer().count()).isEqualTo(1);
        assertThat(proxy.counted("cless.relayed", "service", "hello", "direction", "upstream")).isEqualTo(GET.length());
    }

    private static InetSocketAddress closedAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
    }
}
