package cloud.cless.proxy;

import cloud.cless.proxy.RequestHead.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Finds and checks the first HTTP/1.x request head in a buffer: the request line and the Host header, nothing
 * more. Reads the buffer between its reader and writer index without moving them; only the host is copied out.
 *
 * <p>Lines must end in CRLF. A bare LF is rejected rather than tolerated (RFC 9112 2.2 allows either): the bytes
 * go on to the backend untouched, and a head that cless and the backend would split differently is exactly what
 * request smuggling is made of. For the same reason whitespace before a colon, obsolete line folding and a
 * second Host header are rejected (RFC 9112 5.1, 5.2, 3.2).
 */
public final class RequestHeadParser {

    /** Default for {@code --max-header-size}. */
    public static final int DEFAULT_MAX_HEAD_SIZE = 16 * 1024;

    // Longest method accepted before the head is complete; long enough for any registered method.
    private static final int MAX_EARLY_METHOD_LENGTH = 32;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte SP = ' ';
    private static final byte HT = '\t';
    private static final byte[] HTTP_SLASH = "HTTP/".getBytes(StandardCharsets.US_ASCII);
    private static final boolean[] TCHAR = new boolean[128];
    /** Bytes allowed in a header value, by unsigned value: field-vchar, SP, HTAB and obs-text; no control bytes. */
    private static final boolean[] FIELD_VALUE = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[Character.toUpperCase(c)] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int b = 0x21; b < 0x100; b++) {
            FIELD_VALUE[b] = b != 0x7f;
        }
        FIELD_VALUE[SP] = true;
        FIELD_VALUE[HT] = true;
    }

    private final int maxHeadSize;
    /** Per event-loop thread (a head is parsed whole on the thread that read it); grows to the longest head. */
    private final FastThreadLocal<byte[]> scratch = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[1024];
        }
    };

    public RequestHeadParser(int maxHeadSize) {
        if (maxHeadSize < 64) {
            throw new IllegalArgumentException("max head size must be at least 64 bytes, was " + maxHeadSize);
        }
        this.maxHeadSize = maxHeadSize;
    }

    public int maxHeadSize() {
        return maxHeadSize;
    }

    /** Parses from the reader index, scanning the whole buffer. */
    public HeadParse parse(ByteBuf buf) {
        return parse(buf, 0);
    }

    /**
     * Parses from the reader index; {@code resumeAt} (from an earlier {@link HeadParse#resumeAt()} on the same,
     * since grown, bytes) skips the part already scanned for the end of the head.
     */
    public HeadParse parse(ByteBuf buf, int resumeAt) {
        int start = buf.readerIndex();
        int readable = buf.readableBytes();
        int end = findHeadEnd(buf, start + Math.max(0, resumeAt), start + Math.min(readable, maxHeadSize));
        if (end < 0) {
            if (readable >= maxHeadSize) {
                return HeadParse.tooLarge();
            }
            String early = checkMethodPrefix(buf, start, start + readable);
            return early != null ? HeadParse.bad(early) : HeadParse.needMore(Math.max(0, readable - 3));
        }
        int length = end - start;
        if (buf.hasArray()) {
            int offset = buf.arrayOffset() + start;
            return parseHead(buf.array(), offset, offset + length);
        }
        // One copy of the head into this thread's scratch array, then plain array reads: a ByteBuf.getByte per
        // byte (bounds and liveness checked each time) made up most of the cost of a head.
        byte[] head = scratch.get();
        if (head.length < length) {
            head = new byte[length];
            scratch.set(head);
        }
        buf.getBytes(start, head, 0, length);
        return parseHead(head, 0, length);
    }

    /** The index just past the first CRLFCRLF in [from, to), or -1. */
    private static int findHeadEnd(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to) {
            int lf = buf.indexOf(i, to, LF);
            if (lf < 0) {
                return -1;
            }
            if (lf - 3 >= buf.readerIndex()
                    && buf.getByte(lf - 1) == CR && buf.getByte(lf - 2) == LF && buf.getByte(lf - 3) == CR) {
                return lf + 1;
            }
            i = lf + 1;
        }
        return -1;
    }

    // Rejects bytes that cannot start a request (TLS, HTTP/2 frames, binary) without waiting for a full head.
    private static String checkMethodPrefix(ByteBuf buf, int from, int to) {
        int limit = Math.min(to, from + MAX_EARLY_METHOD_LENGTH + 1);
        for (int i = from; i < limit; i++) {
            byte b = buf.getByte(i);
            if (b == SP && i > from) {
                return null;
            }
            if (!isTchar(b)) {
                return "not an HTTP/1.x request (invalid method)";
            }
        }
        return limit - from > MAX_EARLY_METHOD_LENGTH ? "not an HTTP/1.x request (method too long)" : null;
    }

    /** Parses the complete head in [start, end) of {@code a}, which ends in CRLFCRLF. */
    private static HeadParse parseHead(byte[] a, int start, int end) {
        // Request line: method SP request-target SP HTTP-version CRLF
        int lineEnd = indexOf(a, start, end, LF);
        if (lineEnd == start || a[lineEnd - 1] != CR) {
            return HeadParse.bad("request line not terminated by CRLF");
        }
        int contentEnd = lineEnd - 1;
        int i = start;
        while (i < contentEnd && isTchar(a[i])) {
            i++;
        }
        if (i == start || i >= contentEnd || a[i] != SP) {
            return HeadParse.bad("malformed request line (method)");
        }
        String method = new String(a, start, i - start, StandardCharsets.US_ASCII);
        int targetStart = ++i;
        while (i < contentEnd && isVisible(a[i])) {
            i++;
        }
        if (i == targetStart || i >= contentEnd || a[i] != SP) {
            return HeadParse.bad("malformed request line (target)");
        }
        String target = new String(a, targetStart, i - targetStart, StandardCharsets.US_ASCII);
        int versionStart = i + 1;
        HttpVersion version = version(a, versionStart, contentEnd);
        if (version == null) {
            return HeadParse.bad("unsupported protocol version '"
                    + printable(a, versionStart, Math.min(contentEnd - versionStart, 16)) + "'");
        }

        // Header fields, up to the empty line at end - 2. Each line is read once: its name, then its value up to
        // the CRLF, each byte checked against a table.
        String host = null;
        boolean seenHost = false;
        int pos = lineEnd + 1;
        while (pos < end - 2) {
            byte first = a[pos];
            if (first == SP || first == HT) {
                return HeadParse.bad("obsolete line folding in header");
            }
            int colon = pos;
            while (isTchar(a[colon])) {
                colon++;
            }
            if (a[colon] != ':' || colon == pos) {
                return a[colon] == LF ? HeadParse.bad("header line not terminated by CRLF")
                        : HeadParse.bad("malformed header field name");
            }
            int k = colon + 1;
            while (FIELD_VALUE[a[k] & 0xff]) {
                k++;
            }
            // The head ends in CRLFCRLF, so the line has an end and a[k + 1] exists.
            if (a[k] != CR || a[k + 1] != LF) {
                return a[k] == LF ? HeadParse.bad("header line not terminated by CRLF")
                        : HeadParse.bad("control character in header value");
            }
            int v = colon + 1;
            while (v < k && isOws(a[v])) {
                v++;
            }
            int ve = k;
            while (ve > v && isOws(a[ve - 1])) {
                ve--;
            }
            if (colon - pos == 4 && isHostName(a, pos)) {
                if (seenHost) {
                    return HeadParse.bad("more than one Host header");
                }
                seenHost = true;
                host = normaliseAuthority(new String(a, v, ve - v, StandardCharsets.US_ASCII));
                if (host == null) {
                    return HeadParse.bad("invalid Host header");
                }
            }
            pos = k + 2;
        }
        if (version == HttpVersion.HTTP_1_1 && !seenHost) {
            return HeadParse.bad("missing Host header");
        }
        String authority = absoluteFormAuthority(target);
        if (authority != null) {
            // RFC 9112 3.2.2: the target's authority wins over the Host header.
            host = authority.indexOf('@') >= 0 ? null : normaliseAuthority(authority);
            if (host == null || host.isEmpty()) {
                return HeadParse.bad("invalid host in absolute-form request target");
            }
        }
        return HeadParse.ok(new RequestHead(method, target, version, host == null || host.isEmpty() ? null : host,
                end - start));
    }

    /** The index of the first {@code value} in [from, to); the caller knows there is one. */
    private static int indexOf(byte[] a, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static HttpVersion version(byte[] a, int from, int to) {
        if (to - from != 8) {
            return null;
        }
        for (int k = 0; k < HTTP_SLASH.length; k++) {
            if (a[from + k] != HTTP_SLASH[k]) {
                return null;
            }
        }
        byte major = a[from + 5];
        byte dot = a[from + 6];
        byte minor = a[from + 7];
        if (major != '1' || dot != '.' || minor < '0' || minor > '9') {
            return null;
        }
        return minor == '0' ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    // Header names compare case-insensitively, byte by byte, without making a String of every name.
    private static boolean isHostName(byte[] a, int at) {
        return (a[at] | 0x20) == 'h' && (a[at + 1] | 0x20) == 'o' && (a[at + 2] | 0x20) == 's'
                && (a[at + 3] | 0x20) == 't';
    }

    /** The authority of an {@code http://} or {@code https://} target, or null for any other form. */
    private static String absoluteFormAuthority(String target) {
        int schemeEnd;
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            schemeEnd = 7;
        } else if (target.regionMatches(true, 0, "https://", 0, 8)) {
            schemeEnd = 8;
        } else {
            return null;
        }
        int end = schemeEnd;
        while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
            end++;
        }
        return target.substring(schemeEnd, end);
    }

    /**
     * Normalises a Host value or target authority to the form the host index uses: lower case, no port, no
     * trailing dot. Returns "" for an empty value and null for an invalid one.
     */
    static String normaliseAuthority(String authority) {
        if (authority.isEmpty()) {
            return "";
        }
        String host;
        String rest;
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = authority.substring(0, close + 1);
            rest = authority.substring(close + 1);
            for (int k = 1; k < close; k++) {
                char c = authority.charAt(k);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                    return null;
                }
            }
            if (close == 1) {
                return null;
            }
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            rest = colon < 0 ? "" : authority.substring(colon);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            if (host.isEmpty()) {
                return null;
            }
            for (int k = 0; k < host.length(); k++) {
                char c = host.charAt(k);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_';
                if (!ok) {
                    return null;
                }
            }
        }
        if (!rest.isEmpty() && !validPort(rest)) {
            return null;
        }
        return host.toLowerCase(Locale.ROOT);
    }

    // ":" followed by at most 5 digits, at most 65535; an empty port is allowed (RFC 3986 3.2.3).
    private static boolean validPort(String rest) {
        if (rest.charAt(0) != ':' || rest.length() > 6) {
            return false;
        }
        for (int k = 1; k < rest.length(); k++) {
            if (rest.charAt(k) < '0' || rest.charAt(k) > '9') {
                return false;
            }
        }
        return rest.length() == 1 || Integer.parseInt(rest.substring(1)) <= 65535;
    }

    private static boolean isTchar(byte b) {
        return b >= 0 && TCHAR[b];
    }

    private static boolean isVisible(byte b) {
        return b > 0x20 && b < 0x7f;
    }

    private static boolean isOws(byte b) {
        return b == SP || b == HT;
    }


    private static String printable(byte[] a, int from, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int k = 0; k < length; k++) {
            byte b = a[from + k];
            sb.append(isVisible(b) || b == SP ? (char) b : '?');
        }
        return sb.toString();
    }
}
