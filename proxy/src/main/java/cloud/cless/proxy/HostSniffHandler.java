package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First step of a connection: reads (auto-read is off, so one {@code read()} at a time) until the first request
 * head is complete, within the size limit and the header timeout, then removes itself and passes a
 * {@link SniffedRequest} holding the parsed head and every byte read on to the next handler.
 */
public final class HostSniffHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HostSniffHandler.class);

    private final RequestHeadParser parser;
    private final Duration headerTimeout;
    private final ClientErrors errors;

    private ByteBuf cumulation;
    private int resumeAt;
    private ScheduledFuture<?> timeout;
    private boolean done;

    public HostSniffHandler(RequestHeadParser parser, Duration headerTimeout, ClientErrors errors) {
        this.parser = parser;
        this.headerTimeout = headerTimeout;
        this.errors = errors;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (timeout != null || done) {
            return;
        }
        timeout = ctx.executor().schedule(() -> timedOut(ctx), headerTimeout.toMillis(), TimeUnit.MILLISECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        HeadParse result = parser.parse(cumulation, resumeAt);
        switch (result.outcome()) {
            case NEED_MORE -> resumeAt = result.resumeAt();
            case TOO_LARGE -> fail(ctx, ClientError.HEADER_FIELDS_TOO_LARGE,
                    "request head larger than " + parser.maxHeadSize() + " bytes");
            case BAD -> fail(ctx, ClientError.BAD_REQUEST, result.reason());
            case OK -> {
                finish();
                ByteBuf bytes = cumulation;
                cumulation = null;
                // Removed first: the next step may rebuild the pipeline (or answer an error) right away.
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(new SniffedRequest(result.head(), bytes));
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (done) {
            ctx.fireChannelReadComplete();
        } else {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!done && evt instanceof ChannelInputShutdownEvent) {
            if (cumulation == null || !cumulation.isReadable()) {
                finish();
                log.debug("{} closed its side before sending a request", ctx.channel().remoteAddress());
                ctx.close();
            } else {
                fail(ctx, ClientError.BAD_REQUEST, "connection half-closed before the request head was complete");
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        releaseCumulation();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finish();
        releaseCumulation();
        if (cause instanceof IOException) {
            log.debug("Connection from {} failed while reading the request head", ctx.channel().remoteAddress(), cause);
        } else {
            log.warn("Unexpected error while reading the request head from {}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish();
        releaseCumulation();
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (!done) {
            fail(ctx, ClientError.REQUEST_TIMEOUT,
                    "request head not complete within " + headerTimeout.toMillis() + " ms");
        }
    }

    private void fail(ChannelHandlerContext ctx, ClientError error, String reason) {
        finish();
        releaseCumulation();
        errors.send(ctx.channel(), error, null, reason);
    }

    private void finish() {
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            ReferenceCountUtil.safeRelease(cumulation);
            cumulation = null;
        }
    }
}
