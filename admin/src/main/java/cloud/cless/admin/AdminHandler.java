package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.ServiceRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the admin API on one connection: takes aggregated requests, answers them through the admin routes and
 * writes the responses back on the channel's event loop, one request at a time and in order (pipelined requests
 * wait, with reading paused). Honours HTTP/1.1 keep-alive and {@code Connection: close}. Expects the codec and
 * the body-limiting aggregator before it: install it through {@link AdminPipeline}. It turns auto-read on when
 * added and pauses it only while pipelined requests wait.
 */
public final class AdminHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private final AdminApi api;
    private final AdminJson json;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;

    public AdminHandler(ServiceRegistry registry, InstanceManager instances, AdminToken token, AdminJson json,
                        PrometheusMeterRegistry metrics, ClusterStatus cluster) {
        this(new AdminApi(registry, instances, token, json, metrics, cluster), json);
    }

    AdminHandler(AdminApi api, AdminJson json) {
        this.api = api;
        this.json = json;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // The proxy hands over channels with auto-read off (it was sniffing); from here on this handler decides.
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest) && !(msg instanceof OversizedRequest)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (busy) {
            // A pipelined request: answer it after the one in flight, and read no more until then.
            waiting.add(msg);
            ctx.channel().config().setAutoRead(false);
        } else {
            serve(ctx, msg);
        }
    }

    private void serve(ChannelHandlerContext ctx, Object msg) {
        busy = true;
        if (msg instanceof OversizedRequest oversized) {
            ApiResponse tooLarge = ApiResponse.json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, json.write(
                    new ErrorBody("payload_too_large", "request body is larger than the limit of "
                            + oversized.limit() + " bytes (1 MiB)", null)));
            write(ctx, tooLarge, oversized.version(), oversized.keepAlive());
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        HttpVersion version = request.protocolVersion();
        CompletableFuture<ApiResponse> answer;
        boolean keepAlive;
        try {
            if (request.decoderResult().isFailure()) {
                // The decoder cannot resynchronise after a broken request: answer and close.
                write(ctx, badRequest(request.decoderResult().cause()), version, false);
                return;
            }
            keepAlive = HttpUtil.isKeepAlive(request);
            answer = api.handle(request.method(), request.uri(),
                    request.headers().get(HttpHeaderNames.AUTHORIZATION), request.content());
        } finally {
            request.release();
        }
        if (answer.isDone()) {
            write(ctx, answer.join(), version, keepAlive);
        } else {
            // Registry writes complete on the blocking executor: hop back to this channel's event loop.
            answer.thenAcceptAsync(response -> write(ctx, response, version, keepAlive), ctx.executor())
                    .exceptionally(failure -> {
                        log.warn("Cannot answer admin request on {}; closing it", ctx.channel(), failure);
                        ctx.channel().close();
                        return null;
                    });
        }
    }

    private void write(ChannelHandlerContext ctx, ApiResponse answer, HttpVersion version, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, answer.status(),
                Unpooled.wrappedBuffer(answer.body()));
        HttpHeaders headers = response.headers();
        if (answer.contentType() != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        }
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
        for (Map.Entry<String, String> header : answer.headers().entrySet()) {
            headers.set(header.getKey(), header.getValue());
        }
        HttpUtil.setKeepAlive(headers, version, keepAlive);
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            closing = true;
            written.addListener(ChannelFutureListener.CLOSE);
            releaseWaiting();
            return;
        }
        written.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        busy = false;
        Object next = waiting.poll();
        if (next != null) {
            serve(ctx, next);
        } else if (!ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private ApiResponse badRequest(Throwable cause) {
        HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
        String code = "bad_request";
        if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            code = "uri_too_long";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            code = "headers_too_large";
        } else if (!(cause instanceof TooLongFrameException)) {
            cause = null;
        }
        String message = "malformed HTTP request" + (cause == null ? "" : ": " + cause.getMessage());
        return ApiResponse.json(status, json.write(new ErrorBody(code, message, null)));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("Admin connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Admin connection {} failed; closing it", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private void releaseWaiting() {
        Object msg;
        while ((msg = waiting.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
