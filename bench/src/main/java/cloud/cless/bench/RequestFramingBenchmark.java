package cloud.cless.bench;

import cloud.cless.proxy.http1.MessageBody;
import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.RequestHeadParser;
import cloud.cless.proxy.http1.RequestHeadWriter;
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
 * What cless does with a request head per request: parse it (host, framing, the lines to drop), frame its body,
 * and write the head that goes upstream (origin-form, hop-by-hop lines dropped, X-Forwarded-* added) into a
 * pooled buffer, which is released again. Typical browser head and one with 8 KiB of cookies; run with
 * {@code -prof gc} for the bytes allocated per request.
 */
@State(Scope.Benchmark)
public class RequestFramingBenchmark extends AbstractBenchmark {
    private static final byte[] CLIENT = "192.0.2.7".getBytes(StandardCharsets.US_ASCII);

    private final RequestHeadParser parser = new RequestHeadParser(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE);
    private final RequestHead head = new RequestHead();
    private final MessageBody body = new MessageBody(16 * 1024);
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf typical;
    private ByteBuf large;

    @Setup
    public void setUp() {
        typical = HostSniffBenchmark.directCopy(HostSniffBenchmark.typicalHeadText());
        large = HostSniffBenchmark.directCopy(HostSniffBenchmark.largeHeadText());
        HostSniffBenchmark.checkParses(parser, typical, new RequestHead());
        HostSniffBenchmark.checkParses(parser, large, new RequestHead());
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
        body.of(head);
        ByteBuf out = RequestHeadWriter.write(in, in.readerIndex(), head, CLIENT, false, alloc, 0);
        int length = out.readableBytes();
        out.release();
        return length;
    }
}
