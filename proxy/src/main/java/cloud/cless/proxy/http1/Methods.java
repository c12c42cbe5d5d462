package cloud.cless.proxy.http1;

/** The registered methods by name, so that the common ones cost no string and their properties are known. */
final class Methods {
    static final String CONNECT = "CONNECT";
    private static final String[] KNOWN = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", CONNECT};
    private static final byte[][] KNOWN_BYTES = new byte[KNOWN.length][];

    static {
        for (int i = 0; i < KNOWN.length; i++) {
            KNOWN_BYTES[i] = HttpBytes.ascii(KNOWN[i]);
        }
    }

    private Methods() {
    }

    /** Reads the method a[from, to) into {@code head}: its name and whether it is idempotent, HEAD or OPTIONS. */
    static void read(byte[] a, int from, int to, RequestHead head) {
        head.methodEnd = to - from;
        String method = null;
        for (int i = 0; i < KNOWN.length && method == null; i++) {
            byte[] name = KNOWN_BYTES[i];
            if (name.length == to - from && java.util.Arrays.equals(a, from, to, name, 0, name.length)) {
                method = KNOWN[i]; // methods are case-sensitive (RFC 9110 9.1): "get" is not GET
            }
        }
        if (method == null) {
            method = new String(a, from, to - from, java.nio.charset.StandardCharsets.US_ASCII);
        }
        head.method = method;
        // RFC 9110 9.2.2: a request with one of these methods may be sent again after a failed attempt.
        head.idempotent = method == KNOWN[0] || method == KNOWN[1] || method == KNOWN[3] || method == KNOWN[4]
                || method == KNOWN[5] || method == KNOWN[7];
        head.headMethod = method == KNOWN[1];
        head.optionsMethod = method == KNOWN[5];
    }
}
