package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.ascii;
import static cloud.cless.proxy.http1.HttpBytes.equalsLower;

/** The field names and options framing and rewriting care about, and which one a name is, by length then bytes. */
final class Names {
    static final int OTHER = 0;
    static final int HOST = 1;
    static final int CONTENT_LENGTH = 2;
    static final int TRANSFER_ENCODING = 3;
    static final int CONNECTION = 4;
    static final int KEEP_ALIVE_FIELD = 5;
    static final int PROXY_CONNECTION = 6;
    static final int TE = 7;
    static final int UPGRADE_FIELD = 8;
    static final int EXPECT = 9;
    static final int X_FORWARDED_FOR = 10;
    static final int X_FORWARDED_PROTO = 11;
    static final int X_FORWARDED_HOST = 12;

    static final byte[] CLOSE = ascii("close");
    static final byte[] KEEP_ALIVE = ascii("keep-alive");
    static final byte[] UPGRADE = ascii("upgrade");
    static final byte[] CONTINUE = ascii("100-continue");

    private static final byte[] HOST_NAME = ascii("host");
    private static final byte[] CONTENT_LENGTH_NAME = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING_NAME = ascii("transfer-encoding");
    private static final byte[] CONNECTION_NAME = ascii("connection");
    private static final byte[] PROXY_CONNECTION_NAME = ascii("proxy-connection");
    private static final byte[] TE_NAME = ascii("te");
    private static final byte[] EXPECT_NAME = ascii("expect");
    private static final byte[] X_FORWARDED_FOR_NAME = ascii("x-forwarded-for");
    private static final byte[] X_FORWARDED_PROTO_NAME = ascii("x-forwarded-proto");
    private static final byte[] X_FORWARDED_HOST_NAME = ascii("x-forwarded-host");

    private Names() {
    }

    /** Which known field the token a[at, at + length) names; {@link #OTHER} for any other. */
    static int of(byte[] a, int at, int length) {
        return switch (length) {
            case 2 -> equalsLower(a, at, TE_NAME) ? TE : OTHER;
            case 4 -> equalsLower(a, at, HOST_NAME) ? HOST : OTHER;
            case 6 -> equalsLower(a, at, EXPECT_NAME) ? EXPECT : OTHER;
            case 7 -> equalsLower(a, at, UPGRADE) ? UPGRADE_FIELD : OTHER;
            case 10 -> equalsLower(a, at, CONNECTION_NAME) ? CONNECTION
                    : equalsLower(a, at, KEEP_ALIVE) ? KEEP_ALIVE_FIELD : OTHER;
            case 14 -> equalsLower(a, at, CONTENT_LENGTH_NAME) ? CONTENT_LENGTH : OTHER;
            case 15 -> equalsLower(a, at, X_FORWARDED_FOR_NAME) ? X_FORWARDED_FOR : OTHER;
            case 16 -> equalsLower(a, at, PROXY_CONNECTION_NAME) ? PROXY_CONNECTION
                    : equalsLower(a, at, X_FORWARDED_HOST_NAME) ? X_FORWARDED_HOST : OTHER;
            case 17 -> equalsLower(a, at, TRANSFER_ENCODING_NAME) ? TRANSFER_ENCODING
                    : equalsLower(a, at, X_FORWARDED_PROTO_NAME) ? X_FORWARDED_PROTO : OTHER;
            default -> OTHER;
        };
    }
}
