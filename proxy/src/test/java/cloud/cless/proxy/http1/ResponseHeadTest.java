package cloud.cless.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The response side of the codec: {@link ResponseHeadParser} and {@link ResponseHeadWriter}. */
class ResponseHeadTest {
    private final ResponseHeadParser parser = new ResponseHeadParser();

    private ResponseHead ok(String text) {
        ByteBuf in = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        try {
            ResponseHead head = new ResponseHead();
            assertThat(parser.parse(in, head)).as(head.error()).isEqualTo(Verdict.COMPLETE);
            return head;
        } finally {
            in.release();
        }
    }

    private String bad(String text) {
        ByteBuf in = Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        try {
            ResponseHead head = new ResponseHead();
            assertThat(parser.parse(in, head)).isEqualTo(Verdict.BAD);
            return head.error();
        } finally {
            in.release();
        }
    }

    private String rewrite(String text, long cold, int connection) {
        ByteBuf in = Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        try {
            ResponseHead head = new ResponseHead();
            assertThat(parser.parse(in, head)).as(head.error()).isEqualTo(Verdict.COMPLETE);
            ByteBuf out = ResponseHeadWriter.write(in, 0, head, cold, connection, ByteBufAllocator.DEFAULT);
            if (out == null) {
                return null;
            }
            try {
                return out.toString(StandardCharsets.ISO_8859_1);
            } finally {
                out.release();
            }
        } finally {
            in.release();
        }
    }

    @Test
    void framesByStatusAndHeaders() {
        assertThat(ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").body(false)).isEqualTo(ResponseHead.LENGTH);
        assertThat(ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").body(true)).isEqualTo(ResponseHead.NO_BODY);
        assertThat(ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").body(false)).isEqualTo(ResponseHead.NO_BODY);
        assertThat(ok("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").body(false))
                .isEqualTo(ResponseHead.NO_BODY);
        assertThat(ok("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n").body(false))
                .isEqualTo(ResponseHead.NO_BODY);
        assertThat(ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").body(false))
                .isEqualTo(ResponseHead.CHUNKED);
        assertThat(ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").body(false))
                .isEqualTo(ResponseHead.UNTIL_CLOSE);
        assertThat(ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n").body(false))
                .isEqualTo(ResponseHead.CHUNKED);
        assertThat(ok("HTTP/1.0 200 OK\r\n\r\n").body(false)).isEqualTo(ResponseHead.UNTIL_CLOSE);
        ResponseHead interim = ok("HTTP/1.1 100 Continue\r\n\r\n");
        assertThat(interim.interim()).isTrue();
        assertThat(interim.body(false)).isEqualTo(ResponseHead.NO_BODY);
    }

    @Test
    void tellsWhetherTheAppKeepsTheConnection() {
        assertThat(ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").persistent()).isTrue();
        assertThat(ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").persistent()).isFalse();
        assertThat(ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").persistent()).isFalse();
        assertThat(ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").persistent()).isTrue();
    }

    @Test
    void acceptsBareLineFeedsAsCgiScriptsWriteThem() {
        ResponseHead head = ok("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nbody");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.length()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\n".length());
        assertThat(ok("HTTP/1.1 204\r\n\r\n").status()).isEqualTo(204);
    }

    @Test
    void refusesMalformedResponses() {
        assertThat(bad("GET / HTTP/1.1\r\n\r\n")).contains("malformed status line");
        assertThat(bad("GET / HTTP/1.1\r\n")).contains("not an HTTP/1.x response");
        assertThat(bad("HTTP/1.1 20 OK\r\n\r\n")).contains("status line");
        assertThat(bad("HTTP/1.1 2000 OK\r\n\r\n")).contains("status line");
        assertThat(bad("HTTP/1.1 099 OK\r\n\r\n")).contains("status line");
        assertThat(bad("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).contains("conflicting");
        assertThat(bad("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")).contains("Content-Length");
        assertThat(bad("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n")).contains("folding");
        assertThat(bad("HTTP/1.1 200 OK\r\nX : a\r\n\r\n")).contains("field name");
        assertThat(bad("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n")).contains("control character");
        assertThat(bad("HTTP/1.1 101 Switching Protocols\r\n\r\n")).contains("101");
    }

    @Test
    void passesAHeadWithNothingToChangeAsItIs() {
        assertThat(rewrite("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", -1, ResponseHeadWriter.KEEP_SILENT))
                .isNull();
    }

    @Test
    void dropsHopByHopFieldsAndAddsWhatTheClientConnectionNeeds() {
        String text = "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\n"
                + "X-Internal: 1\r\nContent-Length: 2\r\n\r\n";
        assertThat(rewrite(text, -1, ResponseHeadWriter.KEEP_SILENT))
                .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        assertThat(rewrite(text, 312, ResponseHeadWriter.CLOSE)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                + "Server-Timing: cold-start;dur=312\r\nConnection: close\r\n\r\n");
        assertThat(rewrite("HTTP/1.1 200 OK\nX: y\n\n", -1, ResponseHeadWriter.KEEP_ALIVE))
                .isEqualTo("HTTP/1.1 200 OK\nX: y\nConnection: keep-alive\r\n\r\n");
        assertThat(rewrite("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -1,
                ResponseHeadWriter.KEEP_SILENT)).isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    }

    @Test
    void rewritesInPlaceWhenTheNewHeadFitsAndSaysSoWhenItDoesNot() {
        String text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
        ByteBuf in = Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        try {
            ResponseHead head = new ResponseHead();
            assertThat(parser.parse(in, head)).isEqualTo(Verdict.COMPLETE);
            int length = ResponseHeadWriter.rewriteInPlace(in, head, -1, ResponseHeadWriter.CLOSE);
            assertThat(in.toString(StandardCharsets.ISO_8859_1))
                    .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            assertThat(length).isEqualTo(in.readableBytes() - 2);
        } finally {
            in.release();
        }
        ByteBuf tight = Unpooled.directBuffer().writeBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                .getBytes(StandardCharsets.ISO_8859_1));
        try {
            ResponseHead head = new ResponseHead();
            assertThat(parser.parse(tight, head)).isEqualTo(Verdict.COMPLETE);
            assertThat(ResponseHeadWriter.rewriteInPlace(tight, head, -1, ResponseHeadWriter.KEEP_SILENT))
                    .isEqualTo(head.length());
            assertThat(ResponseHeadWriter.rewriteInPlace(tight, head, 12, ResponseHeadWriter.CLOSE)).isEqualTo(-1);
            assertThat(tight.readerIndex()).isZero();
        } finally {
            tight.release();
        }
    }

    @Test
    void keepsUpgradeAndConnectionOnA101() {
        String text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        assertThat(rewrite(text, -1, ResponseHeadWriter.KEEP_SILENT)).isNull();
        assertThat(rewrite(text, 5, ResponseHeadWriter.KEEP_SILENT)).isEqualTo("HTTP/1.1 101 Switching Protocols\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nServer-Timing: cold-start;dur=5\r\n\r\n");
        assertThat(rewrite("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n", -1,
                ResponseHeadWriter.KEEP_SILENT)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
}
