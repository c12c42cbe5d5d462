package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostSniffHandlerTest {
    private final ClientErrors errors = new ClientErrors(Duration.ofSeconds(2), 5,
            new ClessMetrics(new SimpleMeterRegistry()));
    private EmbeddedChannel channel;

    private EmbeddedChannel channel(int maxHead, Duration timeout) {
        channel = new EmbeddedChannel(new HostSniffHandler(new RequestHeadParser(maxHead), timeout, errors));
        return channel;
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    }

    private String response() {
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void collectsAHeadSplitIntoSingleBytes() {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofSeconds(10));
        String text = "GET /x HTTP/1.1\r\nUser-Agent: t\r\nHost: Hello.Localhost.:8080\r\n\r\nbody";
        for (int i = 0; i < text.length() - 4; i++) {
            channel.writeInbound(ascii(text.substring(i, i + 1)));
            assertThat(channel.inboundMessages()).as("after byte " + i).hasSizeLessThanOrEqualTo(1);
        }
        SniffedRequest request = channel.readInbound();
        assertThat(request).isNotNull();
        try {
            assertThat(request.head().host()).isEqualTo("hello.localhost");
            assertThat(request.head().headLength()).isEqualTo(text.length() - 4);
            assertThat(request.content().toString(StandardCharsets.ISO_8859_1)).isEqualTo(text.substring(0, text.length() - 4));
        } finally {
            request.release();
        }
        assertThat(channel.pipeline().get(HostSniffHandler.class)).isNull();
        // Bytes after the decision pass by untouched.
        channel.writeInbound(ascii("body"));
        ByteBuf body = channel.readInbound();
        assertThat(body.toString(StandardCharsets.ISO_8859_1)).isEqualTo("body");
        body.release();
    }

    @Test
    void keepsTheBytesAfterTheHeadThatCameWithIt() {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofSeconds(10));
        channel.writeInbound(ascii("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"));
        SniffedRequest request = channel.readInbound();
        assertThat(request.content().toString(StandardCharsets.ISO_8859_1)).endsWith("\r\n\r\nabc");
        request.release();
    }

    @Test
    void answersGarbageWith400AndReleasesWhatItHeld() {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofSeconds(10));
        channel.writeInbound(ascii("GET / HTTP/1.1\r\nHo"));
        channel.writeInbound(ascii("st: a\r\nHost: b\r\n\r\n"));
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(response()).startsWith("HTTP/1.1 400 Bad Request\r\n").endsWith("more than one Host header\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void answersAnOversizedHeadWith431() {
        channel(100, Duration.ofSeconds(10));
        channel.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\n"));
        channel.writeInbound(ascii("X: " + "y".repeat(100)));
        assertThat(response()).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void answersASlowHeadWith408() throws InterruptedException {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofMillis(50));
        channel.writeInbound(ascii("GET / HTTP/1.1\r\n"));
        Thread.sleep(100);
        channel.runScheduledPendingTasks();
        assertThat(response()).startsWith("HTTP/1.1 408 Request Timeout\r\n")
                .contains("Connection: close\r\n").endsWith("request head not complete within 50 ms\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void cancelsTheTimeoutOnceTheHeadIsComplete() throws InterruptedException {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofMillis(50));
        channel.writeInbound(ascii("GET / HTTP/1.0\r\n\r\n"));
        SniffedRequest request = channel.readInbound();
        request.release();
        Thread.sleep(100);
        channel.runScheduledPendingTasks();
        assertThat(response()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aHalfCloseInsideTheHeadIs400() {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofSeconds(10));
        channel.writeInbound(ascii("GET / HTTP/1.1\r\n"));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(response()).startsWith("HTTP/1.1 400 ").contains("half-closed");
    }

    @Test
    void releasesTheCumulationWhenTheClientGoesAway() {
        channel(RequestHeadParser.DEFAULT_MAX_HEAD_SIZE, Duration.ofSeconds(10));
        channel.writeInbound(ascii("GET / HTTP/1.1\r\n"));
        channel.writeInbound(ascii("Host: a\r\n"));
        channel.close();
        assertThat(response()).isEmpty();
    }
}
