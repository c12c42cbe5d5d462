package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReadinessProbeTest {
    private static EventLoopGroup group;
    private final ReadinessProbe probe = new ReadinessProbe(NioSocketChannel::new, Duration.ofMillis(300));

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void readyWhenTheAppAnswers() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESPOND)) {
            EventLoop loop = group.next();
            Future<Void> ready = probe.probe(loop, app.address(), null, Duration.ofSeconds(10));

            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.isSuccess()).isTrue();
            assertThat(app.requestLines()).containsExactly("GET / HTTP/1.1");
        }
    }

    @Test
    void anyStatusCountsWithoutReadinessPath() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESPOND)) {
            app.status(500);
            Future<Void> ready = probe.probe(group.next(), app.address(), null, Duration.ofSeconds(10));

            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.isSuccess()).isTrue();
        }
    }

    @Test
    void acceptThenResetIsNotReadyUntilTheAppAnswers() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESET)) {
            Future<Void> ready = probe.probe(group.next(), app.address(), null, Duration.ofSeconds(20));

            waitUntil(() -> app.accepted() >= 3);
            assertThat(ready.isDone()).as("ready while the proxy only resets").isFalse();

            app.mode(FakeAppServer.Mode.RESPOND);
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.isSuccess()).isTrue();
        }
    }

    @Test
    void readinessPathNeedsASuccessStatus() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESPOND)) {
            app.status(500);
            Future<Void> ready = probe.probe(group.next(), app.address(), "/healthz", Duration.ofSeconds(20));

            waitUntil(() -> app.requestLines().size() >= 3);
            assertThat(ready.isDone()).as("ready on a 500").isFalse();
            assertThat(app.requestLines()).allMatch(line -> line.equals("GET /healthz HTTP/1.1"));

            app.status(302);
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.isSuccess()).isTrue();
        }
    }

    @Test
    void hungAttemptsAreRetriedAndDoNotStallTheProbe() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.SILENT)) {
            Future<Void> ready = probe.probe(group.next(), app.address(), null, Duration.ofSeconds(20));

            // Attempt timeout is 300 ms: a second connection proves the first hung attempt was given up.
            waitUntil(() -> app.accepted() >= 2);
            app.mode(FakeAppServer.Mode.RESPOND);
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ready.isSuccess()).isTrue();
        }
    }

    @Test
    void timesOutWhenNothingListens() throws Exception {
        InetSocketAddress nothing = unusedAddress();
        Future<Void> ready = probe.probe(group.next(), nothing, null, Duration.ofMillis(500));

        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ready.cause()).isInstanceOf(TimeoutException.class).hasMessageContaining("not ready within 500 ms");
    }

    @Test
    void completesOnTheGivenLoop() throws Exception {
        try (FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESPOND)) {
            EventLoop loop = group.next();
            java.util.concurrent.CompletableFuture<Boolean> onLoop = new java.util.concurrent.CompletableFuture<>();
            probe.probe(loop, app.address(), null, Duration.ofSeconds(10))
                    .addListener(f -> onLoop.complete(loop.inEventLoop()));

            assertThat(onLoop.get(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void statusLineVerdicts() {
        assertThat(verdict("HTTP/1.1 200", true)).isEqualTo(1);
        assertThat(verdict("HTTP/1.0 301", true)).isEqualTo(1);
        assertThat(verdict("HTTP/1.1 404", true)).isEqualTo(0);
        assertThat(verdict("HTTP/1.1 503", true)).isEqualTo(0);
        assertThat(verdict("HTTP/1.1 2", false)).isEqualTo(-1);
        assertThat(verdict("HTT", false)).isEqualTo(-1);
        assertThat(verdict("SSH-2.0-Open", true)).isEqualTo(0);
        assertThat(verdict("HTTP/1.1", true)).isEqualTo(0);
    }

    private static int verdict(String text, boolean complete) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return ReadinessProbe.statusVerdict(bytes, bytes.length, complete);
    }

    static InetSocketAddress unusedAddress() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(10);
        }
    }
}
