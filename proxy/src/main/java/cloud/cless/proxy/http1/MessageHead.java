package cloud.cless.proxy.http1;

import java.util.Arrays;

/**
 * What a parsed message head says about framing and rewriting, recorded as offsets into the head's bytes rather
 * than as objects: the framing fields ({@code Content-Length}, {@code Transfer-Encoding}), the connection options,
 * and the lines a proxy must not pass on as they are ({@link #markCount() marks}: a kind and a byte range each).
 * One instance is reused for every message of a connection; {@link #reset()} starts the next.
 */
public abstract class MessageHead {
    /** Mark kinds: lines a forwarder drops or replaces. */
    public static final int HOP_BY_HOP = 0;
    public static final int UPGRADE = 1;
    public static final int HOST = 2;
    public static final int CONTENT_LENGTH = 3;
    public static final int TRANSFER_ENCODING = 4;
    public static final int FORWARDED_FOR = 5;
    public static final int FORWARDED_PROTO = 6;
    public static final int FORWARDED_HOST = 7;
    public static final int CONNECTION = 8;

    /** Head length in bytes, from the start line through the empty line that ends the head. */
    int length;
    /** Where the field lines start and where the empty line that ends them starts, relative to the head. */
    int fieldsStart;
    int fieldsEnd;
    /** Triples (kind, start, end): header lines by byte range, relative to the head's start, in order. */
    private int[] marks = new int[24];
    private int markInts;

    long contentLength;
    int contentLengthLines;
    boolean contentLengthList;
    int transferEncodingLines;
    int codings;
    /** Length of the (trimmed) value of the last Transfer-Encoding line. */
    int codingValueLength;
    int chunkedCodings;
    boolean lastCodingChunked;
    boolean unknownCoding;
    /** The codings in order, lower case, when a forwarder must write them as one line; else null. */
    StringBuilder codingList;
    boolean close;
    boolean keepAlive;
    boolean upgradeOption;
    /** Pairs (start, end) of connection options that name other fields, relative to the head's start. */
    private int[] options = new int[8];
    private int optionInts;
    String error;

    /** Forgets the previous message. */
    public void reset() {
        length = 0;
        markInts = 0;
        contentLength = -1;
        contentLengthLines = 0;
        contentLengthList = false;
        transferEncodingLines = 0;
        codings = 0;
        chunkedCodings = 0;
        lastCodingChunked = false;
        unknownCoding = false;
        codingList = null;
        close = false;
        keepAlive = false;
        upgradeOption = false;
        optionInts = 0;
        error = null;
    }

    public int length() {
        return length;
    }

    /** The declared body length, or -1 without a {@code Content-Length}. */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the last transfer coding is chunked (the body is framed by chunks). */
    public boolean chunked() {
        return lastCodingChunked;
    }

    public boolean hasTransferEncoding() {
        return transferEncodingLines > 0;
    }

    /** {@code Connection: close}. */
    public boolean close() {
        return close;
    }

    /** {@code Connection: keep-alive} (what keeps an HTTP/1.0 connection open). */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Why the head was refused, when it was. */
    public String error() {
        return error;
    }

    public int fieldsStart() {
        return fieldsStart;
    }

    public int fieldsEnd() {
        return fieldsEnd;
    }

    public int markCount() {
        return markInts / 3;
    }

    public int markKind(int i) {
        return marks[i * 3];
    }

    public int markStart(int i) {
        return marks[i * 3 + 1];
    }

    public int markEnd(int i) {
        return marks[i * 3 + 2];
    }

    void mark(int kind, int start, int end) {
        if (markInts == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markInts++] = kind;
        marks[markInts++] = start;
        marks[markInts++] = end;
    }

    boolean marked(int start) {
        for (int i = 1; i < markInts; i += 3) {
            if (marks[i] == start) {
                return true;
            }
        }
        return false;
    }

    /** Marks added out of order (by {@link #dropListedOptions}) go back in order of position. */
    void sortMarks() {
        for (int i = 3; i < markInts; i += 3) {
            for (int j = i; j > 0 && marks[j + 1] < marks[j - 2]; j -= 3) {
                for (int k = 0; k < 3; k++) {
                    int t = marks[j + k];
                    marks[j + k] = marks[j - 3 + k];
                    marks[j - 3 + k] = t;
                }
            }
        }
    }

    /** A connection option a[s, e) that names another field, to be dropped with it (relative to the head at base). */
    void option(int start, int end) {
        if (optionInts == options.length) {
            options = Arrays.copyOf(options, options.length * 2);
        }
        options[optionInts++] = start;
        options[optionInts++] = end;
    }

    /**
     * Marks the lines of the fields that {@code Connection} named (RFC 9110 7.6.1): a second pass over the field
     * lines of the head at a[base...), only when some option named a field.
     */
    void dropListedOptions(byte[] a, int base) {
        if (optionInts == 0) {
            return;
        }
        int pos = base + fieldsStart;
        int limit = base + fieldsEnd;
        while (pos < limit) {
            int colon = pos;
            while (a[colon] != ':') {
                colon++;
            }
            int lineEnd = HttpBytes.indexOf(a, colon, limit, HttpBytes.LF) + 1;
            int nameLength = colon - pos;
            for (int k = 0; k < optionInts; k += 2) {
                int optionStart = base + options[k];
                if (options[k + 1] - options[k] == nameLength
                        && HttpBytes.equalsIgnoreCase(a, pos, a, optionStart, nameLength)
                        && !marked(pos - base)) {
                    mark(HOP_BY_HOP, pos - base, lineEnd - base);
                    break;
                }
            }
            pos = lineEnd;
        }
        sortMarks();
    }
}
