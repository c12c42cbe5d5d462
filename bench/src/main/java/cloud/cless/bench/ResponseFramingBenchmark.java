package cloud.cless.bench;

import cloud.cless.proxy.http1.MessageBody;
import cloud.cless.proxy.http1.ResponseHead;
import cloud.cless.proxy.http1.ResponseHeadParser;
import cloud.cless.proxy.http1.ResponseHeadWriter;
import cloud.cless.proxy.http1.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What cless does with a response head per response: parse the status line and framing, frame the body, and
 * write the head that goes to the client (hop-by-hop lines dropped) into a pooled buffer, released again. A
 * typical head as nginx sends it (with {@code Connection: keep-alive}, which is dropped) and one with 8 KiB of
 * {@code Set-Cookie} lines; run with {@code -prof gc} for the bytes allocated per response.
 */
@State(Scope.Benchmark)
public class ResponseFramingBenchmark extends AbstractBenchmark {
    private static final String TYPICAL = "HTTP/1.1 200 OK\r\n"
            + "Server: nginx/1.22.1\r\n"
            + "Date: Fri, 04 Dec 2026 18:00:00 GMT\r\n"
            + "Content-Type: text/html; charset=utf-8\r\n"
            + "Content-Length: 5120\r\n"
            + "Connection: keep-alive\r\n"
            + "Cache-Control: no-cache\r\n"
            + "ETag: \"6b1309e9-1400\"\r\n"
            + "\r\n";

    private final ResponseHeadParser parser = new ResponseHeadParser();
    private final ResponseHead head = new ResponseHead();
    private final MessageBody body = new MessageBody(16 * 1024);
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf typical;
    private ByteBuf large;

    @Setup
    public void setUp() {
        typical = HostSniffBenchmark.directCopy(TYPICAL);
        large = HostSniffBenchmark.directCopy(largeHeadText());
        check(typical);
        check(large);
    }

    @TearDown
    public void tearDown() {
        typical.release();
        large.release();
    }

    @Benchmark
    public int typicalHead() {
        return frame(typical);
    }

    @Benchmark
    public int largeHead() {
        return frame(large);
    }

    private int frame(ByteBuf in) {
        parser.parse(in, head);
        body.length(head.contentLength());
        ByteBuf out = ResponseHeadWriter.write(in, in.readerIndex(), head, -1, ResponseHeadWriter.KEEP_SILENT, alloc);
        int length = out.readableBytes();
        out.release();
        return length;
    }

    /** The typical head with Set-Cookie lines making up about 8 KiB before its framing fields. */
    static String largeHeadText() {
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\nServer: app\r\n");
        for (int i = 0; head.length() < 8 * 1024; i++) {
            head.append("Set-Cookie: _s").append(i).append('=').append(Integer.toHexString(0x9e3779b9 * (i + 1)))
                    .append("a1b2c3d4e5f60718293a4b5c6d7e8f90; Path=/; HttpOnly; SameSite=Lax\r\n");
        }
        return head + TYPICAL.substring(TYPICAL.indexOf("\r\n") + 2);
    }

    private void check(ByteBuf in) {
        ResponseHead probe = new ResponseHead();
        if (parser.parse(in, probe) != Verdict.COMPLETE || probe.contentLength() != 5120) {
            throw new IllegalStateException("benchmark head does not parse: " + probe.error());
        }
        ByteBuf out = ResponseHeadWriter.write(in, in.readerIndex(), probe, -1, ResponseHeadWriter.KEEP_SILENT, alloc);
        if (out == null || out.toString(StandardCharsets.US_ASCII).contains("Connection")) {
            throw new IllegalStateException("the head must be rewritten without its Connection line");
        }
        out.release();
    }
}
