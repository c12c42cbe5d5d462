package cloud.cless.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadParserTest {
    private final RequestHeadParser parser = new RequestHeadParser(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE);

    /** Parses {@code text} from a heap buffer and from a direct one (the two read paths); both must agree. */
    private Parsed parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        Parsed heap = parse(Unpooled.wrappedBuffer(bytes));
        Parsed direct = parse(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
        assertThat(direct.verdict).isEqualTo(heap.verdict);
        assertThat(direct.head.error()).isEqualTo(heap.head.error());
        assertThat(direct.head.host()).isEqualTo(heap.head.host());
        return heap;
    }

    private Parsed parse(ByteBuf buf) {
        try {
            RequestHead head = new RequestHead();
            return new Parsed(parser.parse(buf, head), head);
        } finally {
            buf.release();
        }
    }

    private record Parsed(Verdict verdict, RequestHead head) {
    }

    private RequestHead ok(String text) {
        Parsed parsed = parse(text);
        assertThat(parsed.verdict).as(parsed.head.error()).isEqualTo(Verdict.COMPLETE);
        return parsed.head;
    }

    private String bad(String text) {
        Parsed parsed = parse(text);
        assertThat(parsed.verdict).isEqualTo(Verdict.BAD);
        return parsed.head.error();
    }

    private String notImplemented(String text) {
        Parsed parsed = parse(text);
        assertThat(parsed.verdict).isEqualTo(Verdict.NOT_IMPLEMENTED);
        return parsed.head.error();
    }

    @Test
    void parsesAWellFormedHead() {
        String text = "GET /path?q=1 HTTP/1.1\r\nUser-Agent: curl\r\nHost: hello.localhost\r\nAccept: */*\r\n\r\n";
        RequestHead head = ok(text + "body bytes");
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.http11()).isTrue();
        assertThat(head.host()).isEqualTo("hello.localhost");
        assertThat(head.length()).isEqualTo(text.length());
        assertThat(head.idempotent()).isTrue();
        assertThat(head.hasBody()).isFalse();
        assertThat(head.persistent()).isTrue();
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        assertThat(head.path(buf, 0)).isEqualTo("/path");
        buf.release();
    }

    @Test
    void parsesFromTheReaderIndexAndSkipsEmptyLinesBeforeTheRequestLine() {
        ByteBuf buf = Unpooled.copiedBuffer("xx\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII);
        try {
            buf.skipBytes(2);
            RequestHead head = new RequestHead();
            assertThat(parser.parse(buf, head)).isEqualTo(Verdict.COMPLETE);
            assertThat(head.length()).isEqualTo(buf.readableBytes());
            assertThat(buf.readerIndex()).isEqualTo(6);
        } finally {
            buf.release();
        }
        assertThat(parse("\r\n\r\n").verdict).isEqualTo(Verdict.INCOMPLETE);
        assertThat(bad("\n")).contains("CRLF");
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
    void theSameHostOnAConnectionIsTheSameString() {
        RequestHead head = new RequestHead();
        ByteBuf first = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: Hello.Localhost\r\n\r\n", StandardCharsets.US_ASCII);
        ByteBuf second = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n", StandardCharsets.US_ASCII);
        try {
            parser.parse(first, head);
            String host = head.host();
            parser.parse(second, head);
            assertThat(head.host()).isSameAs(host).isEqualTo("hello.localhost");
        } finally {
            first.release();
            second.release();
        }
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
    void otherTargetFormsAreRefused() {
        assertThat(ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").host()).isEqualTo("a");
        assertThat(bad("GET * HTTP/1.1\r\nHost: a\r\n\r\n")).contains("asterisk");
        assertThat(bad("GET foo HTTP/1.1\r\nHost: a\r\n\r\n")).contains("invalid request target");
        assertThat(notImplemented("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n")).contains("CONNECT");
    }

    @Test
    void missingHostOnHttp11IsBad() {
        assertThat(bad("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")).contains("missing Host");
        assertThat(bad("GET http://svc/ HTTP/1.1\r\n\r\n")).contains("missing Host");
    }

    @Test
    void http10WithoutHostHasNoHost() {
        RequestHead head = ok("GET / HTTP/1.0\r\n\r\n");
        assertThat(head.http11()).isFalse();
        assertThat(head.host()).isNull();
        assertThat(head.persistent()).isFalse();
        assertThat(ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").persistent()).isTrue();
        assertThat(ok("GET / HTTP/1.1\r\nHost:\r\n\r\n").host()).isNull();
        assertThat(ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").persistent()).isFalse();
    }

    @Test
    void twoHostHeadersAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n")).contains("more than one Host");
    }

    @Test
    void whitespaceBeforeColonAndFoldingAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost : a\r\n\r\n")).contains("whitespace between header field name and colon");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n")).contains("colon");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")).contains("folding");
        assertThat(bad("GET / HTTP/1.1\r\n Host: a\r\n\r\n")).contains("whitespace before the first header field");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")).contains("header field name");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u0001b\r\n\r\n")).contains("control character");
    }

    @Test
    void controlBytesInValuesAreBadAndObsTextIsNot() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n")).contains("control character");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u007fb\r\n\r\n")).contains("control character");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000\r\n\r\n")).contains("control character");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\u000bb\r\n\r\n")).contains("control character");
        assertThat(ok("GET / HTTP/1.1\r\nX: caf\u00e9\tok \r\nHost: a\r\n\r\n").host()).isEqualTo("a");
        assertThat(ok("GET / HTTP/1.1\r\nX:\r\nHost:  a \t\r\n\r\n").host()).isEqualTo("a");
        assertThat(bad("GET /\u0000 HTTP/1.1\r\nHost: a\r\n\r\n")).contains("target");
    }

    @Test
    void bareLineFeedsAreBad() {
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\nX\nY: b\r\n\r\n")).contains("CRLF");
        assertThat(bad("GET / HTTP/1.1\nHost: a\r\n\r\n")).contains("CRLF");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n")).contains("CRLF");
        assertThat(bad("GET / HTTP/1.1\r\nHost: a\r\n\n")).contains("CRLF");
        // Refused as soon as the bare LF arrives, without waiting for a head that never ends in CRLFCRLF.
        assertThat(bad("GET / HTTP/1.1\nHost: a\n")).contains("CRLF");
    }

    @Test
    void invalidHostCharactersAreBad() {
        for (String host : new String[] {"a b", "a/b", "a@b", "a:b:c", "a:99999", ".", "[::1", "[zz]", "ex\u00e9.com",
                "a,b"}) {
            assertThat(bad("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).contains("Host");
        }
    }

    @Test
    void garbageAndOtherProtocolsAreBad() {
        assertThat(bad("\u0016\u0003\u0001\u0002\u0000")).contains("not an HTTP/1.x request");
        assertThat(bad("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).contains("unsupported protocol version 'HTTP/2.0'");
        assertThat(bad("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n")).contains("protocol version");
        assertThat(bad("GET / http/1.1\r\nHost: a\r\n\r\n")).contains("protocol version");
        assertThat(bad("GET / HTTP/1.10\r\nHost: a\r\n\r\n")).contains("protocol version");
        assertThat(bad("GET  / HTTP/1.1\r\nHost: a\r\n\r\n")).contains("target");
        assertThat(bad("GET /\r\nHost: a\r\n\r\n")).contains("target");
        assertThat(bad("G\u00c9T / HTTP/1.1\r\n")).contains("not an HTTP/1.x request");
        assertThat(bad("A".repeat(40))).contains("method too long");
    }

    @Test
    void incompleteHeadNeedsMore() {
        assertThat(parse("GET / HTTP/1.1\r\nHost: a\r\n").verdict).isEqualTo(Verdict.INCOMPLETE);
        assertThat(parse("").verdict).isEqualTo(Verdict.INCOMPLETE);
        assertThat(parse("GE").verdict).isEqualTo(Verdict.INCOMPLETE);
    }

    @Test
    void resumesScanningWhereItStopped() {
        String text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        ByteBuf buf = Unpooled.buffer();
        RequestHead head = new RequestHead();
        try {
            Verdict verdict = null;
            for (int i = 0; i < text.length(); i++) {
                buf.writeByte(text.charAt(i));
                verdict = parser.parse(buf, head);
                if (i < text.length() - 1) {
                    assertThat(verdict).isEqualTo(Verdict.INCOMPLETE);
                }
            }
            assertThat(verdict).isEqualTo(Verdict.COMPLETE);
            assertThat(head.host()).isEqualTo("a");
        } finally {
            buf.release();
        }
    }

    @Test
    void headOverTheLimitIsTooLarge() {
        RequestHeadParser small = new RequestHeadParser(100);
        String text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "y".repeat(200) + "\r\n\r\n";
        assertThat(parseWith(small, text)).isEqualTo(Verdict.TOO_LARGE);
        assertThat(parseWith(small, text.substring(0, 100))).isEqualTo(Verdict.TOO_LARGE);
        String exact = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "y".repeat(100 - 32) + "\r\n\r\n";
        assertThat(exact).hasSize(100);
        assertThat(parseWith(small, exact)).isEqualTo(Verdict.COMPLETE);
    }

    private static Verdict parseWith(RequestHeadParser parser, String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            return parser.parse(buf, new RequestHead());
        } finally {
            buf.release();
        }
    }

    // ---- framing: the request smuggling shapes (RFC 9112 6, Netty, HAProxy, Pingora, Envoy) ----

    @Test
    void contentLengthFramesTheBody() {
        RequestHead head = ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
        assertThat(head.contentLength()).isEqualTo(42);
        assertThat(head.hasBody()).isTrue();
        assertThat(head.idempotent()).isFalse();
        assertThat(ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\ncontent-length: 42\r\n\r\n")
                .contentLength()).isEqualTo(42);
        assertThat(ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42, 42\r\n\r\n").contentLength()).isEqualTo(42);
        assertThat(ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").hasBody()).isFalse();
    }

    @Test
    void contentLengthsThatDifferOrAreNotDigitsAreBad() {
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"))
                .contains("conflicting Content-Length");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\n")).contains("conflicting");
        for (String value : new String[] {"+5", "-1", "0x10", "5 5", "", "1e3", "99999999999999999999", "5,"}) {
            assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + "\r\n\r\n")).as(value)
                    .contains("Content-Length");
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsBad() {
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .contains("both Content-Length and Transfer-Encoding");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"))
                .contains("both");
    }

    @Test
    void transferEncodingMustEndInChunked() {
        RequestHead head = ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertThat(head.chunked()).isTrue();
        assertThat(head.hasBody()).isTrue();
        assertThat(ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n").chunked()).isTrue();
        assertThat(ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
                .chunked()).isTrue();
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"))
                .contains("last transfer coding is not chunked");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")).contains("not chunked");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"))
                .contains("more than once");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .contains("more than once");
        assertThat(bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n")).contains("empty");
        assertThat(bad("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")).contains("HTTP/1.0");
    }

    @Test
    void unknownTransferCodingsAreNotImplemented() {
        assertThat(notImplemented("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n"))
                .contains("unknown transfer coding");
        assertThat(notImplemented("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n"))
                .contains("unknown");
        assertThat(notImplemented("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n"))
                .contains("unknown");
        assertThat(notImplemented("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n"))
                .contains("unknown");
    }

    @Test
    void http10RequestsHaveNoBodyWithoutContentLength() {
        // Requests are never framed by the close (RFC 9112 6.3): the bytes after the head are the next request.
        RequestHead head = ok("POST / HTTP/1.0\r\nHost: a\r\n\r\n");
        assertThat(head.hasBody()).isFalse();
        assertThat(head.contentLength()).isEqualTo(-1);
    }

    @Test
    void upgradeNeedsTheConnectionOption() {
        assertThat(ok("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").upgrade())
                .isTrue();
        assertThat(ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, upgrade\r\nUpgrade: x\r\n\r\n")
                .upgrade()).isTrue();
        assertThat(ok("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").upgrade()).isFalse();
        assertThat(ok("GET / HTTP/1.0\r\nHost: a\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n").upgrade()).isFalse();
    }

    @Test
    void recognisesExpectContinueAndMethods() {
        assertThat(ok("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
                .expectContinue()).isTrue();
        assertThat(ok("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").headMethod()).isTrue();
        RequestHead custom = ok("PURGE / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(custom.method()).isEqualTo("PURGE");
        assertThat(custom.idempotent()).isFalse();
        assertThat(ok("get / HTTP/1.1\r\nHost: a\r\n\r\n").idempotent()).isFalse(); // methods are case-sensitive
    }
}
