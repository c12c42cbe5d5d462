package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * The bytes read from a client and not yet parsed or forwarded: the head being read, body bytes waiting for their
 * upstream connection, a pipelined request. One buffer, owned here; a read that finds it empty becomes it (no
 * copy), and a part handed on whole is handed on as it is.
 */
final class InboundBytes {
    private ByteBuf bytes;

    /** Appends {@code in}, now owned here. */
    void add(ByteBufAllocator alloc, ByteBuf in) {
        if (bytes == null) {
            bytes = in;
        } else {
            bytes = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, bytes, in);
        }
    }

    /** The buffer, from its reader index; null when nothing is held. The caller may move its reader index. */
    ByteBuf buffer() {
        return bytes;
    }

    int readable() {
        return bytes == null ? 0 : bytes.readableBytes();
    }

    /** The first {@code n} bytes, now the caller's. */
    ByteBuf take(int n) {
        if (n == bytes.readableBytes()) {
            ByteBuf all = bytes;
            bytes = null;
            return all;
        }
        return bytes.readRetainedSlice(n);
    }

    /** Everything held, now the caller's; null when nothing is. */
    ByteBuf takeAll() {
        ByteBuf all = readable() > 0 ? bytes : null;
        if (all == null) {
            release();
        }
        bytes = null;
        return all;
    }

    /** Lets an emptied buffer go, so the next read becomes the buffer itself. */
    void trim() {
        if (bytes != null && !bytes.isReadable()) {
            release();
        }
    }

    void release() {
        if (bytes != null) {
            bytes.release();
            bytes = null;
        }
    }
}
