package cloud.cless.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives the admin pipeline on an {@link EmbeddedChannel} with raw request bytes and decodes what it writes back,
 * running the channel's tasks while registry writes complete on their executor.
 */
final class HttpExchange implements AutoCloseable {
    /** A decoded response, already released. */
    record Response(int status, HttpHeaders headers, String body) {
    }

    final EmbeddedChannel channel = new EmbeddedChannel();
    private final EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(),
            new HttpObjectAggregator(4 * 1024 * 1024));

    HttpExchange(AdminPipeline pipeline) {
        // The channel is already active, as a proxy channel is when the admin host was sniffed.
        pipeline.install(channel.pipeline());
    }

    void send(String raw) {
        send(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
    }

    void send(ByteBuf raw) {
        channel.writeInbound(raw);
    }

    List<Response> await(int count) throws InterruptedException {
        List<Response> responses = new ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (responses.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " responses, got " + responses);
            }
            channel.runPendingTasks();
            ByteBuf out;
            while ((out = channel.readOutbound()) != null) {
                decoder.writeInbound(out);
            }
            FullHttpResponse response;
            while ((response = decoder.readInbound()) != null) {
                try {
                    responses.add(new Response(response.status().code(), response.headers().copy(),
                            response.content().toString(StandardCharsets.UTF_8)));
                } finally {
                    response.release();
                }
            }
            if (responses.size() < count) {
                Thread.sleep(2);
            }
        }
        return responses;
    }

    Response awaitOne() throws InterruptedException {
        return await(1).get(0);
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }
}
