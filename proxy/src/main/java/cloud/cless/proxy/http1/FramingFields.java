package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.ows;

/**
 * Reads the values of the framing fields into a {@link MessageHead}: {@code Content-Length} (digits only, equal
 * values when repeated), {@code Transfer-Encoding} (the codings in order, across lines; empty list elements
 * ignored, RFC 9110 5.6.1) and {@code Connection} (close, keep-alive, upgrade, and the names of other hop-by-hop
 * fields). Each value is a[from, to), OWS trimmed; list elements are trimmed as they are walked, nothing copied.
 */
final class FramingFields {
    private FramingFields() {
    }

    /** False, with the head's error set, when the value is not a valid length or differs from an earlier one. */
    static boolean contentLength(MessageHead head, byte[] a, int from, int to) {
        head.contentLengthLines++;
        for (int i = from; i <= to; ) {
            int end = elementEnd(a, i, to);
            long value = HttpBytes.decimal(a, trimStart(a, i, end), trimEnd(a, i, end));
            if (value < 0) {
                head.error = "invalid Content-Length '" + HttpBytes.printable(a, from, to, 32) + "'";
                return false;
            }
            if (head.contentLength >= 0 && value != head.contentLength) {
                head.error = "conflicting Content-Length values";
                return false;
            }
            head.contentLength = value;
            head.contentLengthList |= end < to;
            i = end + 1;
        }
        return true;
    }

    static void transferEncoding(MessageHead head, byte[] a, int from, int to) {
        head.transferEncodingLines++;
        head.codingValueLength = to - from;
        for (int i = from; i <= to; ) {
            int end = elementEnd(a, i, to);
            int s = trimStart(a, i, end);
            int e = trimEnd(a, s, end);
            if (s < e) {
                coding(head, Coding.of(a, s, e));
            }
            i = end + 1;
        }
    }

    private static void coding(MessageHead head, Coding coding) {
        head.codings++;
        head.lastCodingChunked = coding == Coding.CHUNKED;
        if (coding == Coding.CHUNKED) {
            head.chunkedCodings++;
        } else if (coding == null) {
            head.unknownCoding = true;
        }
        if (head.codingList == null) {
            head.codingList = new StringBuilder(16);
        } else {
            head.codingList.append(", ");
        }
        head.codingList.append(coding == null ? "?" : coding.token);
    }

    /** {@code base} is where the head starts in {@code a}: the options naming fields are kept relative to it. */
    static void connection(MessageHead head, byte[] a, int base, int from, int to) {
        for (int i = from; i <= to; ) {
            int end = elementEnd(a, i, to);
            int s = trimStart(a, i, end);
            int e = trimEnd(a, s, end);
            int n = e - s;
            if (n == 5 && HttpBytes.equalsLower(a, s, Names.CLOSE)) {
                head.close = true;
            } else if (n == 10 && HttpBytes.equalsLower(a, s, Names.KEEP_ALIVE)) {
                head.keepAlive = true;
            } else if (n == 7 && HttpBytes.equalsLower(a, s, Names.UPGRADE)) {
                head.upgradeOption = true;
            } else if (n > 0) {
                head.option(s - base, e - base);
            }
            i = end + 1;
        }
    }

    /** Where the list element starting at {@code i} ends: its comma, or {@code to}. */
    private static int elementEnd(byte[] a, int i, int to) {
        int comma = HttpBytes.indexOf(a, i, to, (byte) ',');
        return comma < 0 ? to : comma;
    }

    private static int trimStart(byte[] a, int s, int e) {
        while (s < e && ows(a[s])) {
            s++;
        }
        return s;
    }

    private static int trimEnd(byte[] a, int s, int e) {
        while (e > s && ows(a[e - 1])) {
            e--;
        }
        return e;
    }

    /** The transfer codings cless knows; any other is refused (501), never guessed at. */
    private enum Coding {
        CHUNKED("chunked"), GZIP("gzip"), X_GZIP("x-gzip"), DEFLATE("deflate"), COMPRESS("compress"),
        X_COMPRESS("x-compress");

        private static final Coding[] ALL = values();
        final String token;
        final byte[] bytes;

        Coding(String token) {
            this.token = token;
            this.bytes = HttpBytes.ascii(token);
        }

        static Coding of(byte[] a, int s, int e) {
            for (Coding coding : ALL) {
                if (coding.bytes.length == e - s && HttpBytes.equalsLower(a, s, coding.bytes)) {
                    return coding;
                }
            }
            return null;
        }
    }
}
