package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a client connection into an admin API connection: the proxy's handler goes, the admin pipeline comes, and
 * the bytes already read (the admin request's head first) are replayed into it with auto-read on. A small handler
 * stays in front that closes the connection when cless drains for shutdown.
 */
final class AdminHandover extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdminHandover.class);

    private AdminHandover() {
    }

    /** {@code proxyHandler} is the proxy's handler at {@code ctx}; {@code bytes} (may be null) are owned from now on. */
    static void install(ChannelHandlerContext ctx, ChannelInboundHandlerAdapter proxyHandler, AdminRoute route,
                        ByteBuf bytes) {
        Channel channel = ctx.channel();
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.replace(proxyHandler, "admin-drain", new AdminHandover());
        // Half-closure is for the proxy; the admin HTTP server is done with a connection once the client is.
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        try {
            route.install(channel);
        } catch (RuntimeException e) {
            ReferenceCountUtil.safeRelease(bytes);
            log.warn("Could not install the admin pipeline for {}", channel.remoteAddress(), e);
            channel.close();
            return;
        }
        if (bytes != null) {
            pipeline.fireChannelRead(bytes);
        }
        pipeline.fireChannelReadComplete();
        channel.config().setAutoRead(true);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ProxyServer.DRAIN) {
            ctx.close(); // admin requests are short; an idle admin connection must not hold the shutdown up
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
