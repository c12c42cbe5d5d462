package cloud.cless.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Finds where a head ends in a buffer, and hands its bytes out as a plain array: the buffer's own, or one copy into
 * a per-thread scratch array (a {@code ByteBuf.getByte} per byte, bounds and liveness checked each time, cost more
 * than the copy). A head is parsed whole on the thread that read it, so one array per thread suffices.
 */
final class HeadBytes {
    /** {@link #end} found a line feed without its carriage return. */
    static final int BARE_LF = -2;

    private final FastThreadLocal<byte[]> scratch = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };

    /**
     * The index just past the empty line that ends the head starting at {@code start}, looking at line feeds in
     * [from, to); -1 when there is none yet. Strictly (requests) every line ends in CRLF, else {@link #BARE_LF};
     * leniently (responses) a bare LF ends a line too (RFC 9112 2.2).
     */
    static int end(ByteBuf buf, int start, int from, int to, boolean strict) {
        int i = from;
        while (i < to) {
            int lf = buf.indexOf(i, to, HttpBytes.LF);
            if (lf < 0) {
                return -1;
            }
            boolean cr = lf > start && buf.getByte(lf - 1) == HttpBytes.CR;
            if (strict) {
                if (!cr) {
                    return BARE_LF;
                }
                if (lf - 3 >= start && buf.getByte(lf - 2) == HttpBytes.LF && buf.getByte(lf - 3) == HttpBytes.CR) {
                    return lf + 1;
                }
            } else if (lf > start && (buf.getByte(lf - 1) == HttpBytes.LF
                    || cr && lf - 2 >= start && buf.getByte(lf - 2) == HttpBytes.LF)) {
                return lf + 1;
            }
            i = lf + 1;
        }
        return -1;
    }

    /** Parses a complete head held in a plain array, from index {@code base}. */
    interface ArrayParser<H extends MessageHead> {
        Verdict parse(byte[] a, int base, int length, H head);
    }

    /**
     * Runs {@code parser} over buf[start, start + length): over the buffer's own array when it has one, else over a
     * copy in this thread's scratch array.
     */
    <H extends MessageHead> Verdict parse(ByteBuf buf, int start, int length, H head, ArrayParser<H> parser) {
        head.length = length;
        if (buf.hasArray()) {
            return parser.parse(buf.array(), buf.arrayOffset() + start, length, head);
        }
        byte[] a = scratch.get();
        if (a.length < length) {
            a = new byte[Math.max(length, a.length * 2)];
            scratch.set(a);
        }
        buf.getBytes(start, a, 0, length);
        return parser.parse(a, 0, length, head);
    }
}
