package cloud.cless.bench;

import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.RequestHeadParser;
import cloud.cless.proxy.http1.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of parsing one request head for routing: {@link RequestHeadParser} over a complete head already in a pooled
 * direct buffer, as a client connection sees it after a read. The same measurement as before per-request framing
 * (then "sniffing" the first head of a connection), now with the framing fields recorded too. Run with
 * {@code -prof gc} for bytes per head.
 */
@State(Scope.Benchmark)
public class HostSniffBenchmark extends AbstractBenchmark {

    static final String HOST = "shop.example.localhost";

    // What a desktop browser sends for a page load, with Host in the middle rather than first.
    private static final String TYPICAL_BEFORE_HOST =
            "GET /products/42?ref=home&utm_source=newsletter HTTP/1.1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/124.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            + "Accept-Language: en-GB,en;q=0.9,de;q=0.8\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n";
    private static final String TYPICAL_AFTER_HOST =
            "Connection: keep-alive\r\n"
            + "Referer: http://shop.example.localhost/\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Sec-Fetch-Site: same-origin\r\n"
            + "Sec-Fetch-User: ?1\r\n"
            + "\r\n";

    private final RequestHeadParser parser = new RequestHeadParser(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE);
    private final RequestHead head = new RequestHead();
    private ByteBuf typical;
    private ByteBuf large;

    @Setup
    public void setUp() {
        typical = directCopy(typicalHeadText());
        large = directCopy(largeHeadText());
        // Measure the accepting path only: a head the parser rejected would make the numbers meaningless.
        checkParses(parser, typical, new RequestHead());
        checkParses(parser, large, new RequestHead());
    }

    @TearDown
    public void tearDown() {
        typical.release();
        large.release();
    }

    @Benchmark
    public Verdict typicalHead() {
        return parser.parse(typical, head);
    }

    @Benchmark
    public Verdict largeHead() {
        return parser.parse(large, head);
    }

    /** A browser-like head of about 580 bytes. */
    static String typicalHeadText() {
        return TYPICAL_BEFORE_HOST + "Host: " + HOST + ":80\r\n" + TYPICAL_AFTER_HOST;
    }

    /** The typical head carrying about 8 KiB of cookies ahead of Host, as an analytics-heavy site sends. */
    static String largeHeadText() {
        StringBuilder cookies = new StringBuilder("Cookie: ");
        for (int i = 0; cookies.length() < 8 * 1024; i++) {
            if (i > 0) {
                cookies.append("; ");
            }
            // Fixed contents so every run parses the same bytes.
            cookies.append("_pref_").append(i).append('=')
                    .append(Integer.toHexString(0x9e3779b9 * (i + 1))).append("a1b2c3d4e5f60718293a4b5c6d7e8f90");
        }
        return TYPICAL_BEFORE_HOST + cookies + "\r\n" + "Host: " + HOST + ":80\r\n" + TYPICAL_AFTER_HOST;
    }

    static ByteBuf directCopy(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    }

    static void checkParses(RequestHeadParser parser, ByteBuf bytes, RequestHead head) {
        int readerIndex = bytes.readerIndex();
        Verdict verdict = parser.parse(bytes, head);
        if (verdict != Verdict.COMPLETE || !HOST.equals(head.host())) {
            throw new IllegalStateException("benchmark head does not parse to host " + HOST + ": " + verdict + " "
                    + head.error());
        }
        if (bytes.readerIndex() != readerIndex) {
            throw new IllegalStateException("parser moved the reader index; every invocation must see the whole head");
        }
    }
}
