package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.CR;
import static cloud.cless.proxy.http1.HttpBytes.LF;
import static cloud.cless.proxy.http1.HttpBytes.SP;
import static cloud.cless.proxy.http1.HttpBytes.ows;
import static cloud.cless.proxy.http1.HttpBytes.tchar;

import io.netty.buffer.ByteBuf;

/**
 * Parses an HTTP/1.x request head strictly, over raw bytes, recording only what routing, framing and the rewrite
 * need (no object per header line). Thread-safe; one serves every connection.
 *
 * <p>cless forwards the head's lines as they came, so any head that cless and an app could split or frame
 * differently is refused (RFC 9112 and the hardening of Netty's HttpObjectDecoder, HAProxy's h1 parser, Pingora
 * and Envoy): lines end in CRLF, never a bare LF; no obsolete line folding; no whitespace before a colon; no
 * control bytes; one Host; Content-Length only digits and never two different values, never beside
 * Transfer-Encoding; a Transfer-Encoding whose last coding is chunked (else 400) and whose codings are known (else
 * 501), chunked once, never in HTTP/1.0.
 */
public final class RequestHeadParser {
    /** Default for {@code --max-header-size}. */
    public static final int DEFAULT_MAX_HEAD_SIZE = 16 * 1024;
    // Longest method accepted before the head is complete: rejects TLS or HTTP/2 bytes without waiting.
    private static final int MAX_EARLY_METHOD_LENGTH = 32;
    private static final byte[] HTTP = HttpBytes.ascii("http://");
    private static final byte[] HTTPS = HttpBytes.ascii("https://");

    private final int maxHeadSize;
    private final HeadBytes bytes = new HeadBytes();

    public RequestHeadParser(int maxHeadSize) {
        if (maxHeadSize < 64) {
            throw new IllegalArgumentException("max head size must be at least 64 bytes, was " + maxHeadSize);
        }
        this.maxHeadSize = maxHeadSize;
    }

    public int maxHeadSize() {
        return maxHeadSize;
    }

    /**
     * Parses the head at the reader index of {@code buf} into {@code head}. Empty lines before the request line are
     * skipped (the reader index moves past them, RFC 9112 2.2); nothing else moves. An {@link Verdict#INCOMPLETE}
     * head remembers how far it was scanned, so the next call on the grown bytes resumes there.
     */
    public Verdict parse(ByteBuf buf, RequestHead head) {
        int resume = head.scanned;
        head.reset();
        while (buf.isReadable()) {
            byte first = buf.getByte(buf.readerIndex());
            if (first == LF) {
                return bad(head, "header line not terminated by CRLF");
            }
            if (first != CR) {
                break;
            }
            if (buf.readableBytes() < 2) {
                return Verdict.INCOMPLETE;
            }
            if (buf.getByte(buf.readerIndex() + 1) != LF) {
                return bad(head, "malformed request line");
            }
            buf.skipBytes(2);
            resume = 0;
        }
        int start = buf.readerIndex();
        int readable = buf.readableBytes();
        int end = HeadBytes.end(buf, start, start + resume, start + Math.min(readable, maxHeadSize), true);
        if (end == HeadBytes.BARE_LF) {
            return bad(head, "header line not terminated by CRLF");
        }
        if (end < 0) {
            if (readable >= maxHeadSize) {
                head.error = "request head larger than " + maxHeadSize + " bytes";
                return Verdict.TOO_LARGE;
            }
            String early = checkMethodPrefix(buf, start, start + readable);
            if (early != null) {
                return bad(head, early);
            }
            head.scanned = Math.max(0, readable - 3);
            return Verdict.INCOMPLETE;
        }
        return bytes.parse(buf, start, end - start, head, RequestHeadParser::parseHead);
    }

    private static Verdict parseHead(byte[] a, int base, int length, RequestHead head) {
        int end = base + length;
        int lineEnd = HttpBytes.indexOf(a, base, end, LF);
        int contentEnd = lineEnd - 1; // the strict scan saw a CR before every LF
        int i = base;
        while (i < contentEnd && tchar(a[i])) {
            i++;
        }
        if (i == base || i >= contentEnd || a[i] != SP) {
            return bad(head, "malformed request line (method)");
        }
        Methods.read(a, base, i, head);
        int targetStart = ++i;
        while (i < contentEnd && HttpBytes.visible(a[i])) {
            i++;
        }
        if (i == targetStart || i >= contentEnd || a[i] != SP) {
            return bad(head, "malformed request line (target)");
        }
        head.targetStart = targetStart - base;
        head.targetEnd = i - base;
        int minor = version(a, i + 1, contentEnd);
        if (minor < 0) {
            return bad(head, "unsupported protocol version '" + HttpBytes.printable(a, i + 1, contentEnd, 16) + "'");
        }
        head.http11 = minor > 0;
        if (head.method == Methods.CONNECT) {
            head.error = "CONNECT is not supported";
            return Verdict.NOT_IMPLEMENTED;
        }
        Verdict target = target(a, base, targetStart, i, head);
        if (target != Verdict.COMPLETE) {
            return target;
        }
        int fieldsStart = lineEnd + 1;
        head.fieldsStart = fieldsStart - base;
        head.fieldsEnd = length - 2;
        Verdict fields = fields(a, base, fieldsStart, end, head);
        if (fields != Verdict.COMPLETE) {
            return fields;
        }
        Verdict framing = framing(head);
        if (framing == Verdict.COMPLETE) {
            head.dropListedOptions(a, base);
        }
        return framing;
    }

    /** Classifies the request target (RFC 9112 3.2) and finds the part that goes upstream and the host it names. */
    private static Verdict target(byte[] a, int base, int from, int to, RequestHead head) {
        int originStart = from;
        if (a[from] == '*' && to - from == 1) {
            if (!head.optionsMethod) {
                return bad(head, "asterisk-form target with a method other than OPTIONS");
            }
        } else if (a[from] != '/') {
            int scheme = startsWith(a, from, to, HTTP) ? HTTP.length : startsWith(a, from, to, HTTPS) ? HTTPS.length : 0;
            if (scheme == 0) {
                return bad(head, "invalid request target");
            }
            int authorityEnd = from + scheme;
            while (authorityEnd < to && a[authorityEnd] != '/' && a[authorityEnd] != '?' && a[authorityEnd] != '#') {
                authorityEnd++;
            }
            String host = Authority.normalise(a, from + scheme, authorityEnd);
            if (host == null || host.isEmpty()) {
                return bad(head, "invalid host in absolute-form request target");
            }
            head.absoluteForm = true;
            head.host = host; // RFC 9112 3.2.2: the target's authority wins over the Host header
            head.authorityStart = from + scheme - base;
            head.authorityEnd = authorityEnd - base;
            originStart = authorityEnd;
        }
        head.originStart = originStart - base;
        int query = HttpBytes.indexOf(a, originStart, to, (byte) '?');
        head.pathEnd = (query < 0 ? to : query) - base;
        return Verdict.COMPLETE;
    }

    /** The header fields in a[from, end), end being just past the empty line. */
    private static Verdict fields(byte[] a, int base, int from, int end, RequestHead head) {
        int pos = from;
        while (pos < end - 2) {
            if (ows(a[pos])) {
                return bad(head, pos == from ? "whitespace before the first header field"
                        : "obsolete line folding in header");
            }
            int colon = pos;
            while (tchar(a[colon])) {
                colon++;
            }
            if (colon == pos || a[colon] != ':') {
                return bad(head, colon > pos && ows(a[colon]) ? "whitespace between header field name and colon"
                        : "malformed header field name");
            }
            int k = colon + 1;
            while (HttpBytes.fieldValue(a[k])) {
                k++;
            }
            // The head ends in CRLFCRLF, so a[k + 1] exists; a CR alone is a control byte.
            if (a[k] != CR || a[k + 1] != LF) {
                return bad(head, "control character in header value");
            }
            int name = Names.of(a, pos, colon - pos);
            if (name != Names.OTHER) {
                int v = colon + 1;
                while (v < k && ows(a[v])) {
                    v++;
                }
                int ve = k;
                while (ve > v && ows(a[ve - 1])) {
                    ve--;
                }
                if (!RequestFields.read(name, a, base, v, ve, pos - base, k + 2 - base, head)) {
                    return Verdict.BAD;
                }
            }
            pos = k + 2;
        }
        return Verdict.COMPLETE;
    }

    /** How the body is framed, refusing every shape two parsers could read differently. */
    private static Verdict framing(RequestHead head) {
        if (head.http11 && !head.hostSeen) {
            return bad(head, "missing Host header");
        }
        if (head.transferEncodingLines > 0) {
            if (!head.http11) {
                return bad(head, "Transfer-Encoding in an HTTP/1.0 request");
            }
            if (head.contentLengthLines > 0) {
                return bad(head, "both Content-Length and Transfer-Encoding");
            }
            if (head.codings == 0) {
                return bad(head, "empty Transfer-Encoding");
            }
            if (head.unknownCoding) {
                head.error = "unknown transfer coding in '" + head.codingList + "'";
                return Verdict.NOT_IMPLEMENTED;
            }
            if (!head.lastCodingChunked) {
                return bad(head, "the last transfer coding is not chunked");
            }
            if (head.chunkedCodings > 1) {
                return bad(head, "chunked applied more than once");
            }
        }
        return Verdict.COMPLETE;
    }

    /** 0 for HTTP/1.0, 1 for HTTP/1.1 and later 1.x (RFC 9110 2.5), -1 for anything else. */
    private static int version(byte[] a, int from, int to) {
        if (to - from != 8 || a[from] != 'H' || a[from + 1] != 'T' || a[from + 2] != 'T' || a[from + 3] != 'P'
                || a[from + 4] != '/' || a[from + 5] != '1' || a[from + 6] != '.') {
            return -1;
        }
        byte minor = a[from + 7];
        return minor < '0' || minor > '9' ? -1 : minor - '0';
    }

    private static boolean startsWith(byte[] a, int from, int to, byte[] lowerPrefix) {
        return to - from > lowerPrefix.length && HttpBytes.equalsLower(a, from, lowerPrefix);
    }

    // Rejects bytes that cannot start a request (TLS, HTTP/2 frames, binary) without waiting for a full head.
    private static String checkMethodPrefix(ByteBuf buf, int from, int to) {
        int limit = Math.min(to, from + MAX_EARLY_METHOD_LENGTH + 1);
        for (int i = from; i < limit; i++) {
            byte b = buf.getByte(i);
            if (b == SP && i > from) {
                return null;
            }
            if (!tchar(b)) {
                return "not an HTTP/1.x request (invalid method)";
            }
        }
        return limit - from > MAX_EARLY_METHOD_LENGTH ? "not an HTTP/1.x request (method too long)" : null;
    }

    static Verdict bad(MessageHead head, String reason) {
        head.error = reason;
        return Verdict.BAD;
    }
}
