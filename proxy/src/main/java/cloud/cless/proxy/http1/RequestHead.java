package cloud.cless.proxy.http1;

/**
 * A parsed request head: what routing, framing and the rewrite to origin-form need, as offsets relative to the
 * head's first byte plus a few strings (method, host). Reused for every request of a connection.
 */
public final class RequestHead extends MessageHead {
    String method;
    int methodEnd;
    int targetStart;
    int targetEnd;
    /** Where the part sent upstream starts within the target (after the authority of an absolute-form target). */
    int originStart;
    /** The end of the path within the target: the '?' of the query, or the target's end. */
    int pathEnd;
    boolean absoluteForm;
    int authorityStart;
    int authorityEnd;
    boolean http11;
    boolean idempotent;
    boolean headMethod;
    boolean optionsMethod;
    String host;
    boolean hostSeen;
    int hostValueStart;
    int hostValueEnd;
    boolean upgradeField;
    boolean expectContinue;
    boolean forwardedProto;
    boolean forwardedHost;
    /** Pairs (start, end) of the values of X-Forwarded-For lines, for a trusted peer's chain. */
    int[] forwardedFor = new int[4];
    int forwardedForInts;
    /** Bytes of the head scanned for its end so far, while it is incomplete. */
    int scanned;

    // The previous request's host, to skip making the same string again on a keep-alive connection.
    private byte[] lastHostBytes = new byte[64];
    private int lastHostLength = -1;
    private String lastHost;

    @Override
    public void reset() {
        super.reset();
        method = null;
        absoluteForm = false;
        http11 = false;
        idempotent = false;
        headMethod = false;
        optionsMethod = false;
        host = null;
        hostSeen = false;
        upgradeField = false;
        expectContinue = false;
        forwardedProto = false;
        forwardedHost = false;
        forwardedForInts = 0;
        scanned = 0;
    }

    /** The method as sent. */
    public String method() {
        return method;
    }

    /** HTTP/1.1 or a later 1.x (else HTTP/1.0). */
    public boolean http11() {
        return http11;
    }

    /** The normalised host (lower case, no port, no trailing dot), or null when the request names none. */
    public String host() {
        return host;
    }

    /** The method is idempotent (RFC 9110 9.2.2): a failed attempt may be sent again. */
    public boolean idempotent() {
        return idempotent;
    }

    /** A HEAD request: its response has no body whatever its headers say. */
    public boolean headMethod() {
        return headMethod;
    }

    /** The request asks to switch protocols: an {@code Upgrade} field and the {@code upgrade} connection option. */
    public boolean upgrade() {
        return upgradeField && upgradeOption && http11;
    }

    /** {@code Expect: 100-continue}: the client may wait for a 100 before it sends the body. */
    public boolean expectContinue() {
        return expectContinue;
    }

    /** Whether the request has a body to frame (a positive length, or chunks). */
    public boolean hasBody() {
        return lastCodingChunked || contentLength > 0;
    }

    /** The client asked for the connection to stay open after this exchange. */
    public boolean persistent() {
        return http11 ? !close : keepAlive && !close;
    }

    /** The path of the target, without the query, as text (for the access log). */
    public String path(io.netty.buffer.ByteBuf head, int start) {
        int from = originStart;
        if (from >= pathEnd) {
            return "/";
        }
        return head.toString(start + from, pathEnd - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The host for the log of a refused head: the normalised one, or null. */
    String rememberHost(byte[] a, int from, int to) {
        int n = to - from;
        if (n == lastHostLength && HttpBytes.equalsIgnoreCase(a, from, lastHostBytes, 0, n)
                && lastHost != null) {
            return lastHost;
        }
        String normalised = Authority.normalise(a, from, to);
        if (normalised != null && n <= lastHostBytes.length) {
            System.arraycopy(a, from, lastHostBytes, 0, n);
            lastHostLength = n;
            lastHost = normalised;
        }
        return normalised;
    }

    void forwardedFor(int start, int end) {
        if (forwardedForInts == forwardedFor.length) {
            forwardedFor = java.util.Arrays.copyOf(forwardedFor, forwardedFor.length * 2);
        }
        forwardedFor[forwardedForInts++] = start;
        forwardedFor[forwardedForInts++] = end;
    }
}
