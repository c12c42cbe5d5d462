package cloud.cless.proxy.http1;

/** Byte classes of HTTP/1.1 (RFC 9110 5.6, RFC 9112) as lookup tables, and the small scans built on them. */
final class HttpBytes {
    static final byte CR = '\r';
    static final byte LF = '\n';
    static final byte SP = ' ';
    static final byte HT = '\t';

    private static final boolean[] TCHAR = new boolean[256];
    /** field-vchar, SP, HTAB and obs-text: every byte a field value may hold; no control byte. */
    private static final boolean[] FIELD_VALUE = new boolean[256];
    private static final byte[] HEX = new byte[256];

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
        java.util.Arrays.fill(HEX, (byte) -1);
        for (int i = 0; i < 10; i++) {
            HEX['0' + i] = (byte) i;
        }
        for (int i = 0; i < 6; i++) {
            HEX['a' + i] = (byte) (10 + i);
            HEX['A' + i] = (byte) (10 + i);
        }
    }

    private HttpBytes() {
    }

    static boolean tchar(byte b) {
        return TCHAR[b & 0xff];
    }

    static boolean fieldValue(byte b) {
        return FIELD_VALUE[b & 0xff];
    }

    static boolean ows(byte b) {
        return b == SP || b == HT;
    }

    /** The value of a hex digit, or -1. */
    static int hex(byte b) {
        return HEX[b & 0xff];
    }

    /** Visible US-ASCII: what a request target is made of. */
    static boolean visible(byte b) {
        return b > 0x20 && b < 0x7f;
    }

    /**
     * Whether {@code a[at, at + lower.length)} is {@code lower} ignoring ASCII case. {@code lower} holds lower-case
     * letters, digits and '-' only, and the bytes compared are tokens (validated), so OR-ing 0x20 folds case.
     */
    static boolean equalsLower(byte[] a, int at, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            if ((a[at + k] | 0x20) != lower[k]) {
                return false;
            }
        }
        return true;
    }

    /** The same comparison for two ranges of {@code a}, of equal length. */
    static boolean equalsIgnoreCase(byte[] a, int at, byte[] b, int bt, int length) {
        for (int k = 0; k < length; k++) {
            if ((a[at + k] | 0x20) != (b[bt + k] | 0x20)) {
                return false;
            }
        }
        return true;
    }

    /** {@code a[from, to)} as a non-negative decimal number; -1 when it is empty, not all digits, or too large. */
    static long decimal(byte[] a, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = a[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** The index of the first {@code value} in [from, to), or -1. */
    static int indexOf(byte[] a, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        return -1;
    }

    static byte[] ascii(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** At most {@code max} bytes of {@code a} from {@code from}, printable, for an error message. */
    static String printable(byte[] a, int from, int to, int max) {
        StringBuilder sb = new StringBuilder();
        for (int k = from; k < Math.min(to, from + max); k++) {
            byte b = a[k];
            sb.append(visible(b) || b == SP ? (char) b : '?');
        }
        return sb.toString();
    }
}
