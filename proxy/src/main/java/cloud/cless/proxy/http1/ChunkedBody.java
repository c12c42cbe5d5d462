package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.CR;
import static cloud.cless.proxy.http1.HttpBytes.LF;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a chunked body ends (RFC 9112 7.1) while its bytes stream through unchanged: chunk-size lines and the
 * trailer section are read byte by byte, chunk data is skipped by count. Strict where a lenient reading could
 * disagree with the app's: hex digits only, at most 15 of them; whitespace only before a chunk extension; no bare
 * CR or LF in an extension or a trailer line; chunk data followed by exactly CRLF. Reused per connection.
 */
public final class ChunkedBody {
    private static final int SIZE = 0;
    private static final int SIZE_WHITESPACE = 1;
    private static final int EXTENSION = 2;
    private static final int SIZE_LF = 3;
    private static final int DATA = 4;
    private static final int DATA_CR = 5;
    private static final int DATA_LF = 6;
    private static final int TRAILER_START = 7;
    private static final int TRAILER_LINE = 8;
    private static final int TRAILER_LF = 9;
    private static final int LAST_LF = 10;
    private static final int DONE = 11;
    private static final int MAX_SIZE_DIGITS = 15;
    private static final int MAX_LINE = 4096;

    private final int maxTrailerBytes;
    private int state;
    private long size;
    private int digits;
    private int lineBytes;
    private int trailerBytes;
    private long dataBytes;
    private String error;

    public ChunkedBody(int maxTrailerBytes) {
        this.maxTrailerBytes = maxTrailerBytes;
    }

    public void reset() {
        state = SIZE;
        size = 0;
        digits = 0;
        lineBytes = 0;
        trailerBytes = 0;
        dataBytes = 0;
        error = null;
    }

    public boolean done() {
        return state == DONE;
    }

    /** Chunk data bytes seen so far (what {@code --max-body-size} limits). */
    public long dataBytes() {
        return dataBytes;
    }

    public String error() {
        return error;
    }

    /**
     * Reads buf[from, to): returns the index just past the body's last byte when it ends there, -1 when all of it
     * belongs to the body and more follows, -2 when the framing is malformed ({@link #error()} says how).
     */
    public int scan(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to) {
            if (state == DATA) {
                int n = (int) Math.min(size, to - i);
                i += n;
                size -= n;
                if (size == 0) {
                    state = DATA_CR;
                }
                continue;
            }
            byte b = buf.getByte(i++);
            if (!step(b)) {
                return -2;
            }
            if (state == DONE) {
                return i;
            }
        }
        return -1;
    }

    private boolean step(byte b) {
        switch (state) {
            case SIZE -> {
                int digit = HttpBytes.hex(b);
                if (digit >= 0) {
                    if (++digits > MAX_SIZE_DIGITS) {
                        return fail("chunk size too large");
                    }
                    size = size << 4 | digit;
                } else if (digits == 0) {
                    return fail("invalid chunk size");
                } else if (b == CR) {
                    state = SIZE_LF;
                } else if (b == ';') {
                    state = EXTENSION;
                } else if (HttpBytes.ows(b)) {
                    state = SIZE_WHITESPACE;
                } else {
                    return fail("invalid chunk size");
                }
            }
            case SIZE_WHITESPACE -> {
                if (b == ';') {
                    state = EXTENSION;
                } else if (!HttpBytes.ows(b)) {
                    return fail("invalid chunk size line");
                }
            }
            case EXTENSION -> {
                if (b == CR) {
                    state = SIZE_LF;
                } else if (!HttpBytes.fieldValue(b) || ++lineBytes > MAX_LINE) {
                    return fail(b == LF ? "chunk line not terminated by CRLF" : "invalid chunk extension");
                }
            }
            case SIZE_LF -> {
                if (b != LF) {
                    return fail("chunk line not terminated by CRLF");
                }
                dataBytes += size;
                state = size == 0 ? TRAILER_START : DATA;
                digits = 0;
                lineBytes = 0;
            }
            case DATA_CR -> {
                if (b != CR) {
                    return fail("chunk data not followed by CRLF");
                }
                state = DATA_LF;
            }
            case DATA_LF -> {
                if (b != LF) {
                    return fail("chunk data not followed by CRLF");
                }
                state = SIZE;
            }
            case TRAILER_START -> {
                if (b == CR) {
                    state = LAST_LF;
                } else if (!HttpBytes.tchar(b)) {
                    return fail(b == LF ? "chunked body not terminated by CRLF" : "malformed trailer field");
                } else {
                    state = TRAILER_LINE;
                    trailerBytes++;
                }
            }
            case TRAILER_LINE -> {
                if (b == CR) {
                    state = TRAILER_LF;
                } else if (!HttpBytes.fieldValue(b) || ++trailerBytes > maxTrailerBytes) {
                    return fail(b == LF ? "trailer line not terminated by CRLF" : "invalid trailer field");
                }
            }
            case TRAILER_LF -> {
                if (b != LF) {
                    return fail("trailer line not terminated by CRLF");
                }
                state = TRAILER_START;
            }
            case LAST_LF -> {
                if (b != LF) {
                    return fail("chunked body not terminated by CRLF");
                }
                state = DONE;
            }
            default -> {
                return fail("bytes after the end of a chunked body");
            }
        }
        return true;
    }

    private boolean fail(String reason) {
        error = reason;
        return false;
    }
}
