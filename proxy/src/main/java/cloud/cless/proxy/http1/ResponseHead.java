package cloud.cless.proxy.http1;

/** A parsed response head: status, version and what framing and forwarding need. Reused per connection. */
public final class ResponseHead extends MessageHead {
    /** No body follows the head. */
    public static final int NO_BODY = 0;
    /** {@code Content-Length} bytes follow. */
    public static final int LENGTH = 1;
    /** Chunks follow. */
    public static final int CHUNKED = 2;
    /** The body ends when the connection does. */
    public static final int UNTIL_CLOSE = 3;

    int status;
    boolean http11;
    boolean upgradeField;
    /** Bytes of the head scanned for its end so far, while it is incomplete. */
    int scanned;

    @Override
    public void reset() {
        super.reset();
        status = 0;
        http11 = false;
        upgradeField = false;
        scanned = 0;
    }

    public int status() {
        return status;
    }

    public boolean http11() {
        return http11;
    }

    /** 1xx other than 101: another head follows on the same connection. */
    public boolean interim() {
        return status < 200 && status != 101;
    }

    /** How the body is framed (RFC 9112 6.3), given whether the request was a HEAD. */
    public int body(boolean headRequest) {
        if (status < 200 || status == 204 || status == 304 || headRequest) {
            return NO_BODY;
        }
        if (transferEncodingLines > 0) {
            return lastCodingChunked ? CHUNKED : UNTIL_CLOSE;
        }
        if (contentLength >= 0) {
            return contentLength == 0 ? NO_BODY : LENGTH;
        }
        return UNTIL_CLOSE;
    }

    /** The app keeps the connection open after this response (as far as its head says). */
    public boolean persistent() {
        return !close && (http11 || keepAlive);
    }
}
