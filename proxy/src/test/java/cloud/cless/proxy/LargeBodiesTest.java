package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Big bodies stream through with bounded memory, intact, at the pace of the slower side. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LargeBodiesTest {
    private static final long ONE_MIB = 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

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
    void aHundredMegabytesChunkedEachWayArriveIntactWithBoundedMemory() throws Exception {
        long size = 100 * ONE_MIB;
        CompletableFuture<Long> backendReceived = new CompletableFuture<>();
        CompletableFuture<Long> backendSent = new CompletableFuture<>();
        proxy.backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head = TestBackend.readHead(in);
            assertThat(head).contains("Transfer-Encoding: chunked");
            backendReceived.complete(readChunkedCrc(in));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), CHUNK);
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            backendSent.complete(writeChunked(out, size, 2));
            out.flush();
            // The connection stays: a second request reuses it.
            assertThat(TestBackend.readHead(in)).startsWith("GET /after");
            TestBackend.write(socket, TestBackend.ok("after"));
            in.read();
        });
        MemoryProbe probe = new MemoryProbe(proxy.proxy);
        try (TestClient client = proxy.client()) {
            OutputStream out = new BufferedOutputStream(client.socket.getOutputStream(), CHUNK);
            out.write("POST /upload HTTP/1.1\r\nHost: hello.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            long clientSent = writeChunked(out, size, 1);
            out.flush();
            String head = TestBackend.readHead(client.in);
            assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("Transfer-Encoding: chunked");
            long clientReceived = readChunkedCrc(client.in);
            assertThat(backendReceived.get(60, TimeUnit.SECONDS)).isEqualTo(clientSent);
            assertThat(clientReceived).isEqualTo(backendSent.get(60, TimeUnit.SECONDS));
            assertThat(client.send("GET /after HTTP/1.1\r\nHost: hello.localhost\r\n\r\n").response().body())
                    .isEqualTo("after");
        } finally {
            probe.stop();
        }
        probe.assertBounded();
    }

    @Test
    void aSlowAppThrottlesTheClient() throws Exception {
        long size = 256 * ONE_MIB;
        CountDownLatch startReading = new CountDownLatch(1);
        CompletableFuture<Long> received = new CompletableFuture<>();
        proxy.backend(socket -> {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head = TestBackend.readHead(in);
            startReading.await();
            received.complete(readCrc(in, TestBackend.contentLength(head)));
            TestBackend.write(socket, TestBackend.ok("done"));
        });
        MemoryProbe probe = new MemoryProbe(proxy.proxy);
        try (TestClient client = proxy.client()) {
            AtomicLong written = new AtomicLong();
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    OutputStream out = client.socket.getOutputStream();
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
            startReading.countDown();
            assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo(sent.get(60, TimeUnit.SECONDS));
            assertThat(client.response().body()).isEqualTo("done");
        } finally {
            probe.stop();
        }
        probe.assertBounded();
    }

    @Test
    void aSlowClientThrottlesTheApp() throws Exception {
        long size = 256 * ONE_MIB;
        AtomicLong written = new AtomicLong();
        CompletableFuture<Long> sent = new CompletableFuture<>();
        CountDownLatch clientDone = new CountDownLatch(1);
        proxy.backend(socket -> {
            TestBackend.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            sent.complete(writeRandom(out, size, 4, written));
            clientDone.await();
        });
        MemoryProbe probe = new MemoryProbe(proxy.proxy);
        try (TestClient client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            long stalledAt = awaitStall(written);
            assertThat(stalledAt).isLessThan(size / 4);
            String head = TestBackend.readHead(client.in);
            assertThat(readCrc(client.in, TestBackend.contentLength(head))).isEqualTo(sent.get(60, TimeUnit.SECONDS));
        } finally {
            probe.stop();
            clientDone.countDown();
        }
        probe.assertBounded();
    }

    // ---- helpers ----

    /** Writes {@code size} pseudo-random bytes as chunks of 64 KiB, then the last chunk; returns their CRC32. */
    private static long writeChunked(OutputStream out, long size, long seed) throws IOException {
        Random random = new Random(seed);
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[CHUNK];
        for (long left = size; left > 0; ) {
            int n = (int) Math.min(chunk.length, left);
            random.nextBytes(chunk);
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk, 0, n);
            out.write('\r');
            out.write('\n');
            crc.update(chunk, 0, n);
            left -= n;
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return crc.getValue();
    }

    /** Reads a chunked body and returns the CRC32 of its data. */
    private static long readChunkedCrc(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[CHUNK];
        while (true) {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("EOF in a chunk line");
                }
                line.append((char) b);
            }
            int size = Integer.parseInt(line.toString().trim(), 16);
            if (size == 0) {
                assertThat(in.read()).isEqualTo('\r');
                assertThat(in.read()).isEqualTo('\n');
                return crc.getValue();
            }
            for (int left = size; left > 0; ) {
                int n = in.read(buffer, 0, Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("EOF in chunk data");
                }
                crc.update(buffer, 0, n);
                left -= n;
            }
            assertThat(in.read()).isEqualTo('\r');
            assertThat(in.read()).isEqualTo('\n');
        }
    }

    private static long writeRandom(OutputStream out, long size, long seed, AtomicLong written) throws IOException {
        Random random = new Random(seed);
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[CHUNK];
        for (long left = size; left > 0; ) {
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
        byte[] chunk = new byte[CHUNK];
        for (long left = size; left > 0; ) {
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

    /**
     * Samples, while a test runs, the bytes queued towards the clients and the direct memory Netty's allocator
     * holds: with working backpressure both stay near the water marks whatever the body size.
     */
    private static final class MemoryProbe {
        private final AtomicLong maxQueued = new AtomicLong();
        private final AtomicLong maxDirect = new AtomicLong();
        private final AtomicLong samples = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        MemoryProbe(ProxyServer proxy) {
            thread = new Thread(() -> {
                while (running.get()) {
                    for (Channel client : proxy.connections()) {
                        ChannelOutboundBuffer buffer = client.unsafe().outboundBuffer();
                        if (buffer != null) {
                            maxQueued.accumulateAndGet(buffer.totalPendingWriteBytes(), Math::max);
                        }
                    }
                    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider metrics) {
                        maxDirect.accumulateAndGet(metrics.metric().usedDirectMemory(), Math::max);
                    }
                    samples.incrementAndGet();
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

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }

        void assertBounded() {
            assertThat(samples.get()).isPositive();
            // Each channel holds at most the high water mark plus one read; broken backpressure piles up megabytes.
            assertThat(maxQueued.get()).isLessThan(ONE_MIB);
            assertThat(maxDirect.get()).as("direct memory in use").isLessThan(32 * ONE_MIB);
        }
    }
}
