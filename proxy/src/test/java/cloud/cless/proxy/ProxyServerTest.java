package cloud.cless.proxy;

import static cloud.cless.proxy.TestBackend.contentLength;
import static cloud.cless.proxy.TestBackend.ok;
import static cloud.cless.proxy.TestBackend.readBody;
import static cloud.cless.proxy.TestBackend.readHead;
import static cloud.cless.proxy.TestBackend.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.Promise;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxyServerTest {
    private static final String HOST = "hello.localhost";
    private static final String IMAGE = "cless-test/hello:latest";
    private static final long ONE_MIB = 1024 * 1024;

    private static EventLoopGroup group;
    private static Transport transport;

    private final FakeInstanceManager instances = new FakeInstanceManager();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
    private ServiceRegistry registry;
    private ProxyServer proxy;
    private int port;
    private TestBackend backend;

    @BeforeAll
    static void startGroup() {
        transport = Transport.select(IoMode.AUTO);
        group = transport.newEventLoopGroup(2);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void setUp() {
        accessLog.start();
        ((Logger) LoggerFactory.getLogger(ProxiedConnection.ACCESS_LOG)).addAppender(accessLog);
        registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
                new DefinitionDefaults("localhost", 300, 30), Runnable::run);
        registry.create(ServiceDefinition.builder("hello").imageName("cless-test/hello").build()).join();
        startProxy(config());
    }

    @AfterEach
    void tearDown() throws IOException {
        ((Logger) LoggerFactory.getLogger(ProxiedConnection.ACCESS_LOG)).detachAppender(accessLog);
        proxy.close();
        if (backend != null) {
            backend.close();
            assertThat(backend.failures).isEmpty();
        }
    }

    private static ProxyConfig config() {
        return ProxyConfig.defaults("127.0.0.1", 0, "localhost");
    }

    private void startProxy(ProxyConfig config) {
        if (proxy != null) {
            proxy.close();
        }
        proxy = new ProxyServer(config, transport, group, registry, instances, new EchoAdmin(),
                new ClessMetrics(meters));
        port = proxy.start().getPort();
    }

    private void backend(TestBackend.Handler handler) throws IOException {
        backend = new TestBackend(handler);
        instances.leaseTo(backend.address());
    }

    private Socket client() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    private static String get(String host) {
        return "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    }

    private void awaitReleased(int leases) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
                && (instances.leases.size() < leases
                    || instances.leases.stream().anyMatch(l -> l.releases.get() == 0))) {
            Thread.sleep(10);
        }
        assertThat(instances.leases).hasSize(leases);
        assertThat(instances.leases).allSatisfy(l -> assertThat(l.releases.get()).isEqualTo(1));
    }

    // --- relay ---------------------------------------------------------------------------------------------

    @Test
    void relaysASimpleGet() throws Exception {
        backend(socket -> {
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("GET /path HTTP/1.1\r\n").contains("Host: Hello.LocalHost:80");
            write(socket, ok("hi from the backend"));
        });
        try (Socket client = client()) {
            write(client, "GET /path HTTP/1.1\r\nHost: Hello.LocalHost:80\r\nConnection: close\r\n\r\n");
            assertThat(readToEnd(client)).isEqualTo(ok("hi from the backend"));
        }
        awaitReleased(1);
        assertThat(instances.leases.get(0).touches.get()).isPositive();
    }

    @Test
    void keepsOneConnectionForSeveralRequests() throws Exception {
        backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head;
            int n = 0;
            while ((head = readHead(in)) != null) {
                String body = readBody(in, contentLength(head));
                write(socket, ok("answer " + (++n) + " to " + body));
            }
        });
        try (Socket client = client()) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            for (int i = 1; i <= 3; i++) {
                write(client, "POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 2\r\n\r\nq" + i);
                String head = readHead(in);
                assertThat(readBody(in, contentLength(head))).isEqualTo("answer " + i + " to q" + i);
            }
        }
        awaitReleased(1);
    }

    @Test
    void relaysAHundredMegabytesEachWayIntactWithBoundedBuffers() throws Exception {
        long size = 100 * ONE_MIB;
        CompletableFuture<Long> backendReceived = new CompletableFuture<>();
        CompletableFuture<Long> backendSent = new CompletableFuture<>();
        // The backend stays open until the client has read everything: after a FIN, epoll drains the rest of
        // the socket buffer regardless of read() (see RelayHandler), which is not what this test measures.
        CountDownLatch clientDone = new CountDownLatch(1);
        backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head = readHead(in);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    backendSent.complete(writeRandom(out, size, 2, new AtomicLong()));
                    out.flush();
                } catch (IOException e) {
                    backendSent.completeExceptionally(e);
                }
            });
            writer.start();
            backendReceived.complete(readCrc(in, contentLength(head)));
            writer.join();
            clientDone.await();
        });
        PendingProbe probe = new PendingProbe(proxy);
        try (Socket client = client()) {
            CompletableFuture<Long> clientSent = CompletableFuture.supplyAsync(() -> {
                try {
                    OutputStream out = new BufferedOutputStream(client.getOutputStream(), 64 * 1024);
                    out.write(("POST /upload HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    long crc = writeRandom(out, size, 1, new AtomicLong());
                    out.flush();
                    return crc;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = new BufferedInputStream(client.getInputStream());
            String head = readHead(in);
            assertThat(contentLength(head)).isEqualTo(size);
            long clientReceived = readCrc(in, size);
            assertThat(backendReceived.get(60, TimeUnit.SECONDS)).isEqualTo(clientSent.get(60, TimeUnit.SECONDS));
            assertThat(clientReceived).isEqualTo(backendSent.get(60, TimeUnit.SECONDS));
        } finally {
            probe.stop();
            clientDone.countDown();
        }
        assertThat(probe.samples.get()).isPositive();
        // Each side holds at most the high water mark plus one read; broken backpressure would pile up megabytes.
        assertThat(probe.maxPerChannel.get()).isLessThan(ONE_MIB);
        awaitReleased(1);
    }

    @Test
    void aSlowBackendThrottlesTheClient() throws Exception {
        long size = 256 * ONE_MIB;
        CountDownLatch startReading = new CountDownLatch(1);
        CompletableFuture<Long> received = new CompletableFuture<>();
        backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head = readHead(in);
            startReading.await();
            received.complete(readCrc(in, contentLength(head)));
            write(socket, ok("done"));
        });
        PendingProbe probe = new PendingProbe(proxy);
        try (Socket client = client()) {
            AtomicLong written = new AtomicLong();
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    out.write(("POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    return writeRandom(out, size, 3, written);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            long stalledAt = awaitStall(written);
            // The sender is stuck with most of the body unsent: only socket buffers and the proxy's bounded
            // outbound buffers hold what it managed to write.
            assertThat(stalledAt).isLessThan(size / 4);
            assertThat(probe.maxPerChannel.get()).isLessThan(ONE_MIB);
            startReading.countDown();
            assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo(sent.get(60, TimeUnit.SECONDS));
            InputStream in = new BufferedInputStream(client.getInputStream());
            String head = readHead(in);
            assertThat(readBody(in, contentLength(head))).isEqualTo("done");
        } finally {
            probe.stop();
        }
        assertThat(probe.maxPerChannel.get()).isLessThan(ONE_MIB);
        awaitReleased(1);
    }

    @Test
    void aSlowClientThrottlesTheBackend() throws Exception {
        long size = 256 * ONE_MIB;
        AtomicLong written = new AtomicLong();
        CompletableFuture<Long> sent = new CompletableFuture<>();
        CountDownLatch clientDone = new CountDownLatch(1); // no FIN from the backend while measuring, as above
        backend(socket -> {
            readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            sent.complete(writeRandom(out, size, 4, written));
            clientDone.await();
        });
        PendingProbe probe = new PendingProbe(proxy);
        try (Socket client = client()) {
            write(client, get(HOST));
            long stalledAt = awaitStall(written);
            assertThat(stalledAt).isLessThan(size / 4);
            assertThat(probe.maxPerChannel.get()).isLessThan(ONE_MIB);
            InputStream in = new BufferedInputStream(client.getInputStream());
            String head = readHead(in);
            assertThat(readCrc(in, contentLength(head))).isEqualTo(sent.get(60, TimeUnit.SECONDS));
        } finally {
            probe.stop();
            clientDone.countDown();
        }
        assertThat(probe.maxPerChannel.get()).isLessThan(ONE_MIB);
        awaitReleased(1);
    }

    @Test
    void passesHalfCloseOnBothWays() throws Exception {
        AtomicReference<String> backendSaw = new AtomicReference<>();
        backend(socket -> {
            // Reads to EOF: only the client's shutdownOutput, passed on by the proxy, ends this.
            backendSaw.set(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
            write(socket, "HTTP/1.0 200 OK\r\n\r\nanswer after EOF");
            socket.shutdownOutput();
        });
        try (Socket client = client()) {
            write(client, "POST / HTTP/1.0\r\nHost: hello.localhost\r\n\r\nbody until EOF");
            client.shutdownOutput();
            assertThat(readToEnd(client)).isEqualTo("HTTP/1.0 200 OK\r\n\r\nanswer after EOF");
        }
        assertThat(backendSaw.get()).isEqualTo("POST / HTTP/1.0\r\nHost: hello.localhost\r\n\r\nbody until EOF");
        awaitReleased(1);
    }

    @Test
    void passesHalfCloseWhenTheClientEndsItsSideLater() throws Exception {
        AtomicReference<String> backendSaw = new AtomicReference<>();
        CountDownLatch firstAnswer = new CountDownLatch(1);
        backend(socket -> {
            InputStream in = socket.getInputStream();
            readHead(in);
            write(socket, "HTTP/1.0 200 OK\r\n\r\npart one;");
            backendSaw.set(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            write(socket, "part two");
        });
        try (Socket client = client()) {
            write(client, "POST / HTTP/1.0\r\nHost: hello.localhost\r\n\r\n");
            byte[] first = client.getInputStream().readNBytes("HTTP/1.0 200 OK\r\n\r\npart one;".length());
            assertThat(new String(first, StandardCharsets.ISO_8859_1)).endsWith("part one;");
            firstAnswer.countDown();
            write(client, "late body");
            client.shutdownOutput();
            assertThat(readToEnd(client)).isEqualTo("part two");
        }
        assertThat(backendSaw.get()).isEqualTo("late body");
        awaitReleased(1);
    }

    @Test
    void theClientsBytesAfterTheBackendEndedItsSideStillArrive() throws Exception {
        CompletableFuture<String> backendSaw = new CompletableFuture<>();
        backend(socket -> {
            InputStream in = socket.getInputStream();
            readHead(in);
            write(socket, "HTTP/1.0 200 OK\r\n\r\nall of it");
            socket.shutdownOutput();
            // Reads to EOF: the client's late bytes, then the end the proxy passes on when the client ends.
            backendSaw.complete(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        });
        try (Socket client = client()) {
            write(client, "POST / HTTP/1.0\r\nHost: hello.localhost\r\n\r\n");
            assertThat(readToEnd(client)).isEqualTo("HTTP/1.0 200 OK\r\n\r\nall of it");
            write(client, "late body");
            client.shutdownOutput();
            assertThat(backendSaw.get(10, TimeUnit.SECONDS)).isEqualTo("late body");
        }
        awaitReleased(1);
    }

    // --- errors --------------------------------------------------------------------------------------------

    private String exchange(String request) throws IOException {
        try (Socket client = client()) {
            write(client, request);
            return readToEnd(client);
        }
    }

    /** Waits for {@code count} access log lines (each is written when its connection has closed). */
    private List<String> accessLines(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> lines;
            synchronized (accessLog) {
                lines = accessLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            }
            if (lines.size() >= count || System.nanoTime() > deadline) {
                assertThat(lines).hasSize(count);
                return lines;
            }
            Thread.sleep(10);
        }
    }

    private double counted(String name, String... tags) {
        return meters.get(name).tags(tags).counter().count();
    }

    @Test
    void countsBytesEachWayAndLogsOneLinePerConnection() throws Exception {
        String body = "b".repeat(100_000);
        String request = "POST /upload HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body;
        String response = ok("x".repeat(50_000));
        backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head = readHead(in);
            assertThat(readBody(in, contentLength(head))).hasSize(body.length());
            write(socket, response);
        });
        try (Socket client = client()) {
            write(client, request);
            assertThat(readToEnd(client)).isEqualTo(response);
        }

        String line = accessLines(1).get(0);
        assertThat(line).contains("host=hello.localhost", "service=hello", "instance=i0",
                "in=" + request.length(), "out=" + response.length(), "outcome=ok").containsPattern(" ms=\\d+ ");
        assertThat(line).startsWith("client=127.0.0.1:");
        assertThat(counted("cless.relayed", "service", "hello", "direction", "upstream")).isEqualTo(request.length());
        assertThat(counted("cless.relayed", "service", "hello", "direction", "downstream"))
                .isEqualTo(response.length());
        assertThat(counted("cless.connections", "service", "hello")).isEqualTo(1);
        assertThat(meters.get("cless.connections.open").tag("service", "hello").gauge().value()).isZero();
    }

    @Test
    void errorResponsesAreCountedByStatusAndLogged() throws Exception {
        try (Socket admin = client()) {
            write(admin, "GET /x HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
            assertThat(readHead(admin.getInputStream())).startsWith("HTTP/1.1 200 ");
        }
        assertError(exchange(get("nobody.localhost")), 404, "no service");
        assertError(exchange("GET / HTTP/1.1\r\n\r\n"), 400, "missing Host");
        instances.answer((service, loop) -> loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                "image " + service.imageReference() + " not found")));
        assertError(exchange(get(HOST)), 502, IMAGE);

        List<String> lines = accessLines(3); // none for the admin API, which is not proxied
        assertThat(lines.get(0)).contains("host=nobody.localhost", "service=-", "instance=-", "in=0", "out=0",
                "outcome=404");
        assertThat(lines.get(1)).contains("host=-", "service=-", "outcome=400");
        assertThat(lines.get(2)).contains("host=hello.localhost", "service=hello", "outcome=502");
        assertThat(counted("cless.client.errors", "service", "", "status", "404")).isEqualTo(1);
        assertThat(counted("cless.client.errors", "service", "", "status", "400")).isEqualTo(1);
        assertThat(counted("cless.client.errors", "service", "hello", "status", "502")).isEqualTo(1);
        assertThat(meters.get("cless.connections.open").tag("service", "hello").gauge().value()).isZero();
    }

    private static void assertError(String response, int status, String bodyPart) {
        assertThat(response).startsWith("HTTP/1.1 " + status + " ");
        assertThat(response).contains("\r\nConnection: close\r\n");
        assertThat(response).contains("Content-Type: text/plain");
        assertThat(response.substring(response.indexOf("\r\n\r\n") + 4)).contains(bodyPart);
    }

    @Test
    void garbageIs400() throws Exception {
        assertError(exchange("\u0016\u0003\u0001\u0000\u00a5hello"), 400, "not an HTTP/1.x request");
        assertError(exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 400, "unsupported protocol version");
        assertError(exchange("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400, "more than one Host");
        assertError(exchange("GET / HTTP/1.1\r\n\r\n"), 400, "missing Host");
        assertThat(instances.leases).isEmpty();
    }

    @Test
    void oversizedHeadIs431() throws Exception {
        String big = "GET / HTTP/1.1\r\nHost: hello.localhost\r\nX-Big: " + "x".repeat(40_000) + "\r\n\r\n";
        assertError(exchange(big), 431, "larger than 16384 bytes");
    }

    @Test
    void slowHeadIs408() throws Exception {
        startProxy(config().withHeaderTimeout(Duration.ofMillis(200)));
        try (Socket client = client()) {
            write(client, "GET / HTTP/1.1\r\nHost: hel");
            assertError(readToEnd(client), 408, "not complete within 200 ms");
        }
    }

    @Test
    void unknownHostIs404() throws Exception {
        assertError(exchange(get("nobody.localhost")), 404, "no service for host nobody.localhost");
        assertError(exchange("GET / HTTP/1.0\r\n\r\n"), 404, "names no host");
        // A 404 with an unread body still reaches the client (the proxy drains before closing).
        String post = "POST / HTTP/1.1\r\nHost: nobody.localhost\r\nContent-Length: 200000\r\n\r\n" + "b".repeat(200_000);
        assertError(exchange(post), 404, "no service");
    }

    @Test
    void startFailureIs502NamingTheImage() throws Exception {
        instances.answer((service, loop) -> loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                "image " + service.imageReference() + " not found")));
        assertError(exchange(get(HOST)), 502, IMAGE);
    }

    @Test
    void startupTimeoutIs504() throws Exception {
        instances.answer((service, loop) -> loop.newFailedFuture(
                new AcquireFailure(AcquireFailure.Reason.STARTUP_TIMEOUT, "not ready within 30 s")));
        assertError(exchange(get(HOST)), 504, "not ready within 30 s");
    }

    @Test
    void unavailableIs503WithRetryAfter() throws Exception {
        instances.answer((service, loop) -> loop.newFailedFuture(
                new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "at max_instances")));
        String response = exchange(get(HOST));
        assertError(response, 503, "at max_instances");
        assertThat(response).contains("\r\nRetry-After: 5\r\n");
    }

    @Test
    void refusedConnectionIs502AndReported() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
        instances.leaseTo(closed);
        assertError(exchange(get(HOST)), 502, "connecting to service hello");
        // The first failure is retried once on a fresh lease; the second one is the client's 502.
        awaitReleased(2);
        assertThat(instances.leases).allSatisfy(l -> assertThat(l.connectFailure.get()).isNotNull());
    }

    @Test
    void aTimedOutConnectIs502AndLeavesTheInstanceInService() throws Exception {
        startProxy(config().withConnectTimeout(Duration.ofMillis(300)));
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
                        break; // the queue is full
                    }
                }
                instances.leaseTo(address);
                assertError(exchange(get(HOST)), 502, "timed out");
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
        // Retried once, then the client's 502; neither lease reported its instance as broken.
        awaitReleased(2);
        assertThat(instances.leases).allSatisfy(l -> assertThat(l.connectFailure.get()).isNull());
    }

    @Test
    void aRefusedConnectIsRetriedOnceOnAFreshInstanceUnseenByTheClient() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
        backend = new TestBackend(socket -> {
            assertThat(readHead(socket.getInputStream())).startsWith("GET /retried HTTP/1.1\r\n");
            write(socket, ok("served by the fresh instance"));
        });
        InetSocketAddress fresh = backend.address();
        AtomicInteger acquires = new AtomicInteger();
        instances.answer((service, loop) ->
                loop.newSucceededFuture(instances.newLease(acquires.getAndIncrement() == 0 ? closed : fresh)));

        String response = exchange("GET /retried HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n");

        assertThat(response).isEqualTo(ok("served by the fresh instance"));
        awaitReleased(2);
        assertThat(instances.leases.get(0).connectFailure.get()).isNotNull();
        assertThat(instances.leases.get(1).connectFailure.get()).isNull();
    }

    /** Waits for the acquire the proxy started, which this test holds open. */
    private Promise<InstanceLease> heldAcquire(AtomicReference<Promise<InstanceLease>> pending)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pending.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(pending.get()).as("the proxy asked for an instance").isNotNull();
        return pending.get();
    }

    private AtomicReference<Promise<InstanceLease>> holdAcquires() {
        AtomicReference<Promise<InstanceLease>> pending = new AtomicReference<>();
        instances.answer((service, loop) -> {
            Promise<InstanceLease> promise = loop.newPromise();
            pending.set(promise);
            return promise;
        });
        return pending;
    }

    @Test
    void aClientThatResetsWhileItWaitsCancelsItsAcquire() throws Exception {
        AtomicReference<Promise<InstanceLease>> pending = holdAcquires();
        try (Socket client = client()) {
            write(client, get(HOST));
            heldAcquire(pending);
            client.setSoLinger(true, 0); // reset
        }
        assertThat(pending.get().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(pending.get().isCancelled()).as("its place given up").isTrue();
        TestLease lease = instances.newLease(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
        assertThat(pending.get().trySuccess(lease)).as("a late lease has nobody to go to").isFalse();
    }

    @Test
    void aClientThatHangsUpWhileItWaitsCancelsItsAcquire() throws Exception {
        AtomicReference<Promise<InstanceLease>> pending = holdAcquires();
        try (Socket client = client()) {
            write(client, get(HOST));
            heldAcquire(pending);
        } // an orderly close: the proxy reads the end of the stream while it waits
        assertThat(pending.get().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(pending.get().isCancelled()).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (proxy.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void aClientThatWaitsAndSendsMoreKeepsItsBytesForTheInstance() throws Exception {
        backend(socket -> {
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("POST / HTTP/1.1\r\n");
            assertThat(readBody(socket.getInputStream(), contentLength(head))).isEqualTo("sent while waiting");
            write(socket, ok("got it"));
        });
        AtomicReference<Promise<InstanceLease>> pending = holdAcquires();
        try (Socket client = client()) {
            write(client, "POST / HTTP/1.1\r\nHost: " + HOST
                    + "\r\nContent-Length: 18\r\nConnection: close\r\n\r\n");
            Promise<InstanceLease> acquire = heldAcquire(pending);
            write(client, "sent while waiting");
            // More bytes are not a client that left: the acquire is still there to complete.
            acquire.setSuccess(instances.newLease(backend.address()));
            assertThat(readToEnd(client)).isEqualTo(ok("got it"));
        }
        awaitReleased(1);
    }

    // --- admin ---------------------------------------------------------------------------------------------

    @Test
    void theAdminHostGetsTheAdminPipelineWithTheSniffedBytes() throws Exception {
        try (Socket client = client()) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            write(client, "POST /serviceDefinitions HTTP/1.1\r\nHost: Admin.Localhost\r\nContent-Length: 7\r\n\r\n"
                    + "{\"a\":1}");
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200 OK");
            assertThat(readBody(in, contentLength(head))).isEqualTo("admin POST /serviceDefinitions {\"a\":1}");
            // Keep-alive works: later requests reach the same admin pipeline with auto-read on.
            write(client, "GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
            head = readHead(in);
            assertThat(readBody(in, contentLength(head))).isEqualTo("admin GET /healthz ");
        }
        assertThat(instances.leases).isEmpty();
    }

    @Test
    void anAdminConnectionEndsWhenTheClientCloses() throws Exception {
        try (Socket client = client()) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            write(client, "GET /healthz HTTP/1.1\r\nHost: admin.localhost\r\n\r\n");
            String head = readHead(in);
            readBody(in, contentLength(head));
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
        // Keep-alive admin connections must not linger half-closed: draining on shutdown waits for them.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (proxy.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(proxy.openConnections()).isZero();
    }

    // --- server --------------------------------------------------------------------------------------------

    @Test
    void aTakenPortIsAClearBindError() {
        ProxyServer second = new ProxyServer(new ProxyConfig("127.0.0.1", port, "admin.localhost", 16384,
                Duration.ofSeconds(10), Duration.ofSeconds(5), ProxyConfig.DEFAULT_WATER_MARK, 5, Duration.ofSeconds(2),
                128), transport, group, registry, instances, new EchoAdmin(), new ClessMetrics(meters));
        assertThatThrownBy(second::start)
                .isInstanceOf(ProxyBindException.class)
                .hasMessage("cannot bind 127.0.0.1:" + port + ": address already in use");
    }

    @Test
    void countsOpenConnections() throws Exception {
        backend(socket -> {
            readHead(socket.getInputStream());
            write(socket, ok("x"));
            socket.getInputStream().read();
        });
        try (Socket client = client()) {
            write(client, get(HOST));
            readHead(client.getInputStream());
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
        assertThat(proxy.awaitConnectionsClosed(Duration.ofSeconds(10))).isTrue();
    }

    // --- helpers -------------------------------------------------------------------------------------------

    /** Writes {@code size} pseudo-random bytes and returns their CRC32; counts progress in {@code written}. */
    private static long writeRandom(OutputStream out, long size, long seed, AtomicLong written) throws IOException {
        Random random = new Random(seed);
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            random.nextBytes(chunk);
            int n = (int) Math.min(chunk.length, left);
            out.write(chunk, 0, n);
            crc.update(chunk, 0, n);
            left -= n;
            written.addAndGet(n);
        }
        out.flush();
        return crc.getValue();
    }

    private static long readCrc(InputStream in, long size) throws IOException {
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
            if (n < 0) {
                throw new IOException("EOF with " + left + " bytes left");
            }
            crc.update(chunk, 0, n);
            left -= n;
        }
        return crc.getValue();
    }

    /** Waits until {@code written} stops growing for half a second; returns where it stopped. */
    private static long awaitStall(AtomicLong written) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = written.get();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
            Thread.sleep(500);
        }
        throw new AssertionError("the sender never stalled; wrote " + written.get());
    }

    /** Samples the bytes queued in the proxy's channels (both sides of every relay) while a test runs. */
    private static final class PendingProbe {
        final AtomicLong maxPerChannel = new AtomicLong();
        final AtomicLong samples = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        PendingProbe(ProxyServer proxy) {
            thread = new Thread(() -> {
                while (running.get()) {
                    for (Channel client : proxy.connections()) {
                        sample(client);
                        RelayHandler relay = client.pipeline().get(RelayHandler.class);
                        if (relay != null) {
                            sample(relay.peer());
                            samples.incrementAndGet();
                        }
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        private void sample(Channel channel) {
            ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
            if (buffer != null) {
                maxPerChannel.accumulateAndGet(buffer.totalPendingWriteBytes(), Math::max);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    /** Admin double: answers every request with its method, path and body. */
    private static final class EchoAdmin implements AdminRoute {
        @Override
        public void install(Channel channel) {
            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                            String text = "admin " + request.method() + " " + request.uri() + " "
                                    + request.content().toString(StandardCharsets.UTF_8);
                            ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
                            DefaultFullHttpResponse response = new DefaultFullHttpResponse(
                                    request.protocolVersion(), HttpResponseStatus.OK, body);
                            HttpUtil.setContentLength(response, body.readableBytes());
                            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                            ctx.writeAndFlush(response);
                        }
                    });
        }
    }
}
