package cloud.cless.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadWriterTest {
    private static final byte[] CLIENT = "192.0.2.7".getBytes(StandardCharsets.US_ASCII);
    private final RequestHeadParser parser = new RequestHeadParser(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE);

    private String rewrite(String text, boolean trusted) {
        ByteBuf in = Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        try {
            RequestHead head = new RequestHead();
            assertThat(parser.parse(in, head)).as(head.error()).isEqualTo(Verdict.COMPLETE);
            ByteBuf out = RequestHeadWriter.write(in, in.readerIndex(), head, CLIENT, trusted,
                    ByteBufAllocator.DEFAULT, 0);
            try {
                return out.toString(StandardCharsets.ISO_8859_1);
            } finally {
                out.release();
            }
        } finally {
            in.release();
        }
    }

    private String rewrite(String text) {
        return rewrite(text, false);
    }

    @Test
    void addsTheForwardedFieldsAndKeepsTheRestAsItCame() {
        assertThat(rewrite("GET /a?b=1 HTTP/1.1\r\nHost: Hello.localhost:8080\r\nAccept: */*\r\n\r\n"))
                .isEqualTo("GET /a?b=1 HTTP/1.1\r\nHost: Hello.localhost:8080\r\nAccept: */*\r\n"
                        + "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
                        + "X-Forwarded-Host: Hello.localhost:8080\r\n\r\n");
    }

    @Test
    void sendsAbsoluteFormTargetsInOriginForm() {
        assertThat(rewrite("GET http://hello.localhost/x?y HTTP/1.1\r\nHost: other\r\n\r\n"))
                .isEqualTo("GET /x?y HTTP/1.1\r\nHost: hello.localhost\r\nX-Forwarded-For: 192.0.2.7\r\n"
                        + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: hello.localhost\r\n\r\n");
        assertThat(rewrite("GET http://hello.localhost HTTP/1.1\r\nHost: hello.localhost\r\n\r\n"))
                .startsWith("GET / HTTP/1.1\r\n");
        assertThat(rewrite("GET http://hello.localhost?q HTTP/1.1\r\nHost: hello.localhost\r\n\r\n"))
                .startsWith("GET /?q HTTP/1.1\r\n");
        assertThat(rewrite("OPTIONS http://hello.localhost:80 HTTP/1.1\r\nHost: hello.localhost\r\n\r\n"))
                .startsWith("OPTIONS * HTTP/1.1\r\n").contains("\r\nHost: hello.localhost:80\r\n");
    }

    @Test
    void dropsHopByHopFieldsAndTheFieldsConnectionNames() {
        String out = rewrite("GET / HTTP/1.1\r\nConnection: keep-alive, X-Secret\r\nHost: a\r\nKeep-Alive: 5\r\n"
                + "x-secret: 1\r\nProxy-Connection: close\r\nTE: trailers\r\nUpgrade: websocket\r\nX-Other: 2\r\n\r\n");
        assertThat(out).startsWith("GET / HTTP/1.1\r\nHost: a\r\nX-Other: 2\r\nX-Forwarded-For: ");
        assertThat(out.toLowerCase()).doesNotContain("connection", "keep-alive", "x-secret", "te:", "upgrade");
    }

    @Test
    void keepsUpgradeWhenUpgrading() {
        assertThat(rewrite("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))
                .isEqualTo("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                        + "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n");
    }

    @Test
    void asksAnHttp10AppToKeepTheConnection() {
        assertThat(rewrite("GET / HTTP/1.0\r\nHost: a\r\n\r\n"))
                .startsWith("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nX-Forwarded-For: ");
    }

    @Test
    void replacesForwardedFieldsFromAnUntrustedPeer() {
        String text = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: evil\r\n\r\n";
        assertThat(rewrite(text)).isEqualTo("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.7\r\n"
                + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n");
        assertThat(rewrite(text, true)).isEqualTo("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: evil\r\nX-Forwarded-For: 6.6.6.6, 192.0.2.7\r\n\r\n");
        assertThat(rewrite("GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: a\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n",
                true)).contains("\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 192.0.2.7\r\nX-Forwarded-Proto: http\r\n");
    }

    @Test
    void writesAmbiguousFramingOnce() {
        assertThat(rewrite("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"))
                .startsWith("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-Forwarded-For");
        assertThat(rewrite("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n"))
                .startsWith("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-Forwarded-For");
        assertThat(rewrite("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding:  chunked\r\n\r\n"))
                .startsWith("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nX-Forwarded-For");
        assertThat(rewrite("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .startsWith("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For");
    }
}
