package cloud.cless.proxy.http1;

import io.netty.buffer.ByteBuf;

/**
 * Tells which of the bytes that follow a head belong to its body, by the body's framing: none, a length, chunks
 * (checked as they pass) or everything up to the close. Reused per connection.
 */
public final class MessageBody {
    private static final int NONE = 0;
    private static final int LENGTH = 1;
    private static final int CHUNKED = 2;
    private static final int UNTIL_CLOSE = 3;

    private final ChunkedBody chunks;
    private int kind;
    private long remaining;
    private long bytes;
    private boolean done;

    public MessageBody(int maxTrailerBytes) {
        this.chunks = new ChunkedBody(maxTrailerBytes);
    }

    /** Frames the body of the request {@code head}: chunks, a length, or none (never up to the close). */
    public void of(RequestHead head) {
        if (head.chunked()) {
            chunked();
        } else if (head.contentLength() > 0) {
            length(head.contentLength());
        } else {
            none();
        }
    }

    public void none() {
        set(NONE);
        done = true;
    }

    public void length(long length) {
        set(LENGTH);
        remaining = length;
        done = length == 0;
    }

    public void chunked() {
        set(CHUNKED);
        chunks.reset();
    }

    public void untilClose() {
        set(UNTIL_CLOSE);
    }

    private void set(int kind) {
        this.kind = kind;
        bytes = 0;
        remaining = 0;
        done = false;
    }

    /** The body is over: nothing more belongs to it. */
    public boolean done() {
        return done;
    }

    public boolean untilCloseFramed() {
        return kind == UNTIL_CLOSE;
    }

    /** Body bytes so far: chunk data for a chunked body, else every byte. */
    public long bytes() {
        return kind == CHUNKED ? chunks.dataBytes() : bytes;
    }

    public String error() {
        return chunks.error();
    }

    /**
     * How many of the readable bytes of {@code buf} (from its reader index, which does not move) belong to the
     * body; -1 when the framing is malformed ({@link #error()}). {@link #done()} tells whether the body ended.
     */
    public int take(ByteBuf buf) {
        int readable = buf.readableBytes();
        if (done || readable == 0) {
            return 0;
        }
        switch (kind) {
            case LENGTH -> {
                int n = (int) Math.min(remaining, readable);
                remaining -= n;
                bytes += n;
                done = remaining == 0;
                return n;
            }
            case CHUNKED -> {
                int from = buf.readerIndex();
                int end = chunks.scan(buf, from, from + readable);
                if (end == -2) {
                    return -1;
                }
                done = end >= 0;
                return done ? end - from : readable;
            }
            case UNTIL_CLOSE -> {
                bytes += readable;
                return readable;
            }
            default -> {
                return 0;
            }
        }
    }

    /** The connection closed: a body framed by the close ends here; any other is cut short (false). */
    public boolean closed() {
        if (kind == UNTIL_CLOSE) {
            done = true;
        }
        return done;
    }
}
