package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.ascii;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

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

    private ResponseHeadWriter() {
    }

    /**
     * The client's head for {@code head}, parsed from src[start, start + head.length()), or null when the head
     * goes out exactly as it came.
     *
     * @param coldStartMillis how long the request waited for a cold start, or -1
     * @param connection      {@link #KEEP_SILENT}, {@link #CLOSE} or {@link #KEEP_ALIVE}
     */
    public static ByteBuf write(ByteBuf src, int start, ResponseHead head, long coldStartMillis, int connection,
                                ByteBufAllocator alloc) {
        boolean switching = head.status == 101;
        boolean dropLength = head.transferEncodingLines > 0;
        int drops = 0;
        for (int i = 0; i < head.markCount(); i++) {
            if (dropped(head.markKind(i), switching, dropLength)) {
                drops++;
            }
        }
        if (drops == 0 && coldStartMillis < 0 && connection == KEEP_SILENT) {
            return null;
        }
        ByteBuf out = alloc.directBuffer(head.length + 80);
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
        return out;
    }

    private static boolean dropped(int kind, boolean switching, boolean dropLength) {
        return switch (kind) {
            case MessageHead.CONNECTION, MessageHead.UPGRADE -> !switching;
            case MessageHead.CONTENT_LENGTH -> dropLength;
            default -> true;
        };
    }
}
