package cloud.cless.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChunkedBodyTest {
    /** The index past the body's end in {@code text}, -1 when it goes on, -2 when malformed; fed whole and bytewise. */
    private static int scan(String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        try {
            ChunkedBody whole = new ChunkedBody(1024);
            whole.reset();
            int result = whole.scan(buf, 0, buf.writerIndex());
            ChunkedBody bytewise = new ChunkedBody(1024);
            bytewise.reset();
            int byByte = -1;
            for (int i = 0; i < buf.writerIndex() && byByte == -1; i++) {
                byByte = bytewise.scan(buf, i, i + 1);
            }
            assertThat(byByte).isEqualTo(result);
            return result;
        } finally {
            buf.release();
        }
    }

    private static String error(String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        try {
            ChunkedBody body = new ChunkedBody(1024);
            body.reset();
            assertThat(body.scan(buf, 0, buf.writerIndex())).isEqualTo(-2);
            return body.error();
        } finally {
            buf.release();
        }
    }

    @Test
    void findsTheEndOfAChunkedBody() {
        String body = "5\r\nhello\r\n1a;name=value\r\n" + "x".repeat(26) + "\r\n0\r\n\r\n";
        assertThat(scan(body + "GET / HTTP/1.1")).isEqualTo(body.length());
        assertThat(scan("0\r\n\r\n")).isEqualTo(5);
        assertThat(scan("A \t; ext\r\n0123456789\r\n0\r\nTrailer: x\r\nOther: y\r\n\r\n")).isPositive();
        assertThat(scan("5\r\nhel")).isEqualTo(-1);
    }

    @Test
    void countsTheDataBytes() {
        ByteBuf buf = Unpooled.copiedBuffer("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", StandardCharsets.US_ASCII);
        ChunkedBody body = new ChunkedBody(1024);
        body.reset();
        body.scan(buf, 0, buf.writerIndex());
        assertThat(body.done()).isTrue();
        assertThat(body.dataBytes()).isEqualTo(8);
        buf.release();
    }

    @Test
    void refusesMalformedChunkLines() {
        assertThat(error("x\r\n")).contains("invalid chunk size");
        assertThat(error(" 5\r\nhello\r\n")).contains("invalid chunk size");
        assertThat(error("5 \r\nhello\r\n")).contains("chunk size line");
        assertThat(error("-5\r\n")).contains("invalid chunk size");
        assertThat(error("0x5\r\n")).contains("invalid chunk size");
        assertThat(error("1000000000000000\r\n")).contains("too large");
        assertThat(error("5\nhello\r\n")).contains("invalid chunk size");
        assertThat(error("5\r\rhello")).contains("CRLF");
        assertThat(error("5;ext\nhello\r\n")).contains("not terminated by CRLF");
        assertThat(error("5;e\u0000xt\r\nhello\r\n")).contains("extension");
        assertThat(error("5\r\nhelloX\r\n0\r\n\r\n")).contains("chunk data not followed by CRLF");
        assertThat(error("5\r\nhello\n0\r\n\r\n")).contains("CRLF");
        assertThat(error("0\r\nTrailer: x\n\r\n")).contains("trailer");
        assertThat(error("0\r\n folded: x\r\n\r\n")).contains("trailer");
        assertThat(error("0\r\n\n")).contains("CRLF");
    }
}
