package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.proxy.HeadParse.Outcome;
import cloud.cless.proxy.RequestHead.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadParserTest {
    private final RequestHeadParser parser = new RequestHeadParser(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE);

    /** Parses {@code text} from a heap buffer and from a direct one (the two read paths); both must agree. */
    private HeadParse parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        HeadParse fromHeap = parse(Unpooled.wrappedBuffer(bytes));
        HeadParse fromDirect = parse(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
        assertThat(fromDirect).isEqualTo(fromHeap);
        return fromHeap;
    }

    private HeadParse parse(ByteBuf buf) {
        try {
            int before = buf.readerIndex();
            HeadParse result = parser.parse(buf);
            assertThat(buf.readerIndex()).isEqualTo(before);
            return result;
        } finally {
            buf.release();
        }
    }

    private RequestHead ok(String text) {
        HeadParse result = parse(text);
        assertThat(result.outcome()).as(result.reason()).isEqualTo(Outcome.OK);
        return result.head();
    }

    private String bad(String text) {
        HeadParse result = parse(text);
        assertThat(result.outcome()).isEqualTo(Outcome.BAD);
        return result.reason();
    }

    @Test
    void parsesAWellFormedHead() {
        String text = "GET /path?q=1 HTTP/1.1\r\nUser-Agent: curl\r\nHost: hello.localhost\r\nAccept: */*\r\n\r\n";
        RequestHead head = ok(text + "body bytes");
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.target()).isEqualTo("/path?q=1");
        assertThat(head.version()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(head.host()).isEqualTo("hello.localhost");
        assertThat(head.headLength()).isEqualTo(text.length());
    }

    @Test
    void parsesFromTheReaderIndex() {
        ByteBuf buf = Unpooled.copiedBuffer("xxGET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII);
        try {
            buf.skipBytes(2);
            HeadParse result = parser.parse(buf);
            assertThat(result.outcome()).isEqualTo(Outcome.OK);
            assertThat(result.head().headLength()).isEqualTo(buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @Test
    void normalisesPortCaseAndTrailingDotOfHost() {
        assertThat(ok("GET / HTTP/1.1\r\nHOST: Hello.LocalHost.:8080\r\n\r\n").host()).isEqualTo("hello.localhost");
        assertThat(ok("GET / HTTP/1.1\r\nhost:hello.localhost \r\n\r\n").host()).isEqualTo("hello.localhost");
        assertThat(ok("GET / HTTP/1.1\r\nhOsT: \t127.0.0.1:80\r\n\r\n").host()).isEqualTo("127.0.0.1");
        assertThat(ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").host()).isEqualTo("[::1]");
        assertThat(ok("GET / HTTP/1.1\r\nHost: a.b:\r\n\r\n").host()).isEqualTo("a.b");
    }

    @Test
    void hostLikeHeadersAreNotHost() {
        assertThat(ok("GET / HTTP/1.1\r\nX-Host: evil\r\nHosts: evil\r\nHost: good\r\n\r\n").host()).isEqualTo("good");
    }

    @Test
    void absoluteFormTargetWinsOverHost() {
        RequestHead head = ok("GET http://Svc.Example:81/x HTTP/1.1\r\nHost: other\r\n\r\n");
        assertThat(head.host()).isEqualTo("svc.example");
        assertThat(ok("GET HTTPS://svc.example HTTP/1.0\r\n\r\n").host()).isEqualTo("svc.example");
        assertThat(bad("GET http://user@svc/ HTTP/1.1\r\nHost: svc\r\n\r\n")).contains("absolute-form");
        assertThat(bad("GET http:///x HTTP/1.1\r\nHost: svc\r\n\r\n")).contains("absolute-form");
    }

    @Test
    void missingHostOnHttp11IsBad() {
        assertThat(bad("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")).contains("missing Host");
        assertThat(bad("GET http://svc/ HTTP/1.1\r\n\r\n")).contains("missing Host");
    }

    @Test
    void http10WithoutHostHasNoHost() {
        RequestHead head = ok("GET / HTTP/1.0\r\n\r\n");
        assertThat(head.version()).isEqualTo(HttpVersion.HTTP_1_0);
        assertThat(head.host()).isNull();
        assertThat(ok("GET / HTTP/1.1\r\nHost:\r\n\r\n").host()).isNull();
    }

    @Test
    void twoHostHeadersAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n")).contains("more than one Host");
    }

    @Test
    void whitespaceBeforeColonAndFoldingAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost : a\r\n\r\n")).contains("header field name");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")).contains("folding");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")).contains("header field name");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u0001b\r\n\r\n")).contains("control character");
    }

    @Test
    void controlBytesInValuesAreBadAndObsTextIsNot() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n")).contains("control character");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u007fb\r\n\r\n")).contains("control character");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000\r\n\r\n")).contains("control character");
        assertThat(ok("GET / HTTP/1.1\r\nX: caf\u00e9\tok \r\nHost: a\r\n\r\n").host()).isEqualTo("a");
        assertThat(ok("GET / HTTP/1.1\r\nX:\r\nHost:  a \t\r\n\r\n").host()).isEqualTo("a");
    }

    @Test
    void bareLineFeedsAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX\nY: b\r\n\r\n")).contains("CRLF");
        assertThat(bad("GET / HTTP/1.1\nHost: a\r\n\r\n")).contains("CRLF");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n")).contains("CRLF");
    }

    @Test
    void invalidHostCharactersAreBad() {
        for (String host : new String[] {"a b", "a/b", "a@b", "a:b:c", "a:99999", ".", "[::1", "[zz]", "ex\u00e9.com"}) {
            assertThat(bad("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).contains("Host");
        }
    }

    @Test
    void garbageAndOtherProtocolsAreBad() {
        assertThat(bad("\u0016\u0003\u0001\u0002\u0000")).contains("not an HTTP/1.x request");
        assertThat(bad("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).contains("unsupported protocol version 'HTTP/2.0'");
        assertThat(bad("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n")).contains("protocol version");
        assertThat(bad("GET  / HTTP/1.1\r\nHost: a\r\n\r\n")).contains("target");
        assertThat(bad("GET /\r\nHost: a\r\n\r\n")).contains("target");
        assertThat(bad("\r\n\r\n")).contains("method");
        assertThat(bad("G\u00c9T / HTTP/1.1\r\n")).contains("not an HTTP/1.x request");
        assertThat(bad("A".repeat(40))).contains("method too long");
    }

    @Test
    void incompleteHeadNeedsMore() {
        HeadParse result = parse("GET / HTTP/1.1\r\nHost: a\r\n");
        assertThat(result.outcome()).isEqualTo(Outcome.NEED_MORE);
        assertThat(parse("").outcome()).isEqualTo(Outcome.NEED_MORE);
        assertThat(parse("GE").outcome()).isEqualTo(Outcome.NEED_MORE);
    }

    @Test
    void resumesScanningWhereItStopped() {
        String text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        ByteBuf buf = Unpooled.buffer();
        try {
            int resume = 0;
            HeadParse result = null;
            for (int i = 0; i < text.length(); i++) {
                buf.writeByte(text.charAt(i));
                result = parser.parse(buf, resume);
                if (i < text.length() - 1) {
                    assertThat(result.outcome()).isEqualTo(Outcome.NEED_MORE);
                    resume = result.resumeAt();
                }
            }
            assertThat(result.outcome()).isEqualTo(Outcome.OK);
            assertThat(result.head().host()).isEqualTo("a");
        } finally {
            buf.release();
        }
    }

    @Test
    void headOverTheLimitIsTooLarge() {
        RequestHeadParser small = new RequestHeadParser(100);
        String head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "y".repeat(200) + "\r\n\r\n";
        ByteBuf buf = Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII);
        ByteBuf partial = Unpooled.copiedBuffer(head.substring(0, 100), StandardCharsets.US_ASCII);
        try {
            assertThat(small.parse(buf).outcome()).isEqualTo(Outcome.TOO_LARGE);
            assertThat(small.parse(partial).outcome()).isEqualTo(Outcome.TOO_LARGE);
        } finally {
            buf.release();
            partial.release();
        }
        String exact = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "y".repeat(100 - 32) + "\r\n\r\n";
        assertThat(exact).hasSize(100);
        ByteBuf fits = Unpooled.copiedBuffer(exact, StandardCharsets.US_ASCII);
        try {
            assertThat(small.parse(fits).outcome()).isEqualTo(Outcome.OK);
        } finally {
            fits.release();
        }
    }
}
