package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.ascii;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Writes the head a response goes to the client with: as it came, less the hop-by-hop lines (Connection and the
 * fields it names, Keep-Alive, Proxy-Connection; Upgrade and Connection stay on a 101), less Content-Length beside
 * Transfer-Encoding (RFC 9112 6.3), plus {@code Server-Timing} after a cold start and the client connection's own
 * {@code Connection} option.
 */
public final class ResponseHeadWriter {
    /** Say nothing about the client connection. */
    public static final int KEEP_SILENT = 0;
    /** The client connection closes after this response. */
    public static final int CLOSE = 1;
    /** The client connection stays open (what an HTTP/1.0 client needs to be told). */
    public static final int KEEP_ALIVE = 2;

    private static final byte[] SERVER_TIMING = ascii("Server-Timing: cold-start;dur=");
    private static final byte[] CONNECTION_CLOSE = ascii("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = ascii("Connection: keep-alive\r\n");
    private static final byte[] CRLF = ascii("\r\n");
    /**
     * Where an in-place rewrite is built, per thread (the event loop's): a wrapped array, which no leak detector
     * tracks, so it may live as long as its thread. Longer heads are rewritten into a new buffer.
     */
    private static final FastThreadLocal<ByteBuf> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected ByteBuf initialValue() {
            return Unpooled.wrappedBuffer(new byte[4096]);
        }
    };

    private ResponseHeadWriter() {
    }

    /**
     * Rewrites the head at the reader index of {@code src} in place when the result fits where the head was (it
     * usually does: the {@code Connection} line an app sends is longer than what cless adds): the new head ends
     * where the old one did and the reader index moves to its start. Returns its length, or -1 when it does not
     * fit (nothing changed: use {@link #write}). A head that needs no change is left as it is.
     *
     * @param coldStartMillis how long the request waited for a cold start, or -1
     * @param connection      {@link #KEEP_SILENT}, {@link #CLOSE} or {@link #KEEP_ALIVE}
     */
    public static int rewriteInPlace(ByteBuf src, ResponseHead head, long coldStartMillis, int connection) {
        int start = src.readerIndex();
        if (unchanged(head, coldStartMillis, connection)) {
            return head.length;
        }
        ByteBuf scratch = SCRATCH.get().clear();
        if (head.length > scratch.capacity()) {
            return -1;
        }
        writeTo(scratch, src, start, head, coldStartMillis, connection);
        int length = scratch.readableBytes();
        if (length > head.length) {
            return -1;
        }
        int newStart = start + head.length - length;
        src.setBytes(newStart, scratch, 0, length);
        src.readerIndex(newStart);
        return length;
    }

    /**
     * The client's head for {@code head}, parsed from src[start, start + head.length()), in a new buffer; null
     * when the head goes out exactly as it came.
     */
    public static ByteBuf write(ByteBuf src, int start, ResponseHead head, long coldStartMillis, int connection,
                                ByteBufAllocator alloc) {
        if (unchanged(head, coldStartMillis, connection)) {
            return null;
        }
        ByteBuf out = alloc.directBuffer(head.length + 80);
        writeTo(out, src, start, head, coldStartMillis, connection);
        return out;
    }

    private static boolean unchanged(ResponseHead head, long coldStartMillis, int connection) {
        if (coldStartMillis >= 0 || connection != KEEP_SILENT) {
            return false;
        }
        boolean switching = head.status == 101;
        boolean dropLength = head.transferEncodingLines > 0;
        for (int i = 0; i < head.markCount(); i++) {
            if (dropped(head.markKind(i), switching, dropLength)) {
                return false;
            }
        }
        return true;
    }

    private static void writeTo(ByteBuf out, ByteBuf src, int start, ResponseHead head, long coldStartMillis,
                                int connection) {
        boolean switching = head.status == 101;
        boolean dropLength = head.transferEncodingLines > 0;
        int pos = 0;
        for (int i = 0; i < head.markCount(); i++) {
            if (dropped(head.markKind(i), switching, dropLength)) {
                out.writeBytes(src, start + pos, head.markStart(i) - pos);
                pos = head.markEnd(i);
            }
        }
        out.writeBytes(src, start + pos, head.fieldsEnd - pos);
        if (coldStartMillis >= 0) {
            out.writeBytes(SERVER_TIMING);
            out.writeCharSequence(Long.toString(coldStartMillis), java.nio.charset.StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        if (connection == CLOSE) {
            out.writeBytes(CONNECTION_CLOSE);
        } else if (connection == KEEP_ALIVE) {
            out.writeBytes(CONNECTION_KEEP_ALIVE);
        }
        out.writeBytes(CRLF);
    }

    private static boolean dropped(int kind, boolean switching, boolean dropLength) {
        return switch (kind) {
            case MessageHead.CONNECTION, MessageHead.UPGRADE -> !switching;
            case MessageHead.CONTENT_LENGTH -> dropLength;
            default -> true;
        };
    }
}
