package cloud.cless.proxy;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second step: decides where a {@link SniffedRequest} goes. The admin host gets the admin pipeline on this same
 * channel, with the sniffed bytes replayed into it; a registered host goes on to await an instance of its
 * service; anything else is a 404.
 */
public final class RouteHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RouteHandler.class);

    private final ConnectionPath path;

    public RouteHandler(ConnectionPath path) {
        this.path = path;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof SniffedRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String host = request.head().host();
        if (host != null && host.equals(path.adminHost())) {
            ProxiedConnection connection = ProxiedConnection.of(ctx.channel());
            if (connection != null) {
                connection.toAdmin();
            }
            toAdmin(ctx, request.content());
            return;
        }
        ServiceDefinition service = host == null ? null : path.registry().findByHost(host);
        if (service == null) {
            request.release();
            path.errors().send(ctx.channel(), ClientError.NOT_FOUND, host,
                    host == null ? "the request names no host" : "no service for host " + host);
            return;
        }
        ProxiedConnection connection = ProxiedConnection.of(ctx.channel());
        if (connection != null) {
            connection.routed(host, service.name(), path.metrics().service(service.name()));
        }
        ctx.pipeline().replace(this, ConnectionPath.AWAIT,
                new AwaitInstanceHandler(path, service, host, request.content()));
    }

    private void toAdmin(ChannelHandlerContext ctx, ByteBuf bytes) {
        Channel channel = ctx.channel();
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(this);
        // Half-closure is for the relay; the admin HTTP server is done with a connection once the client is.
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        try {
            path.adminRoute().install(channel);
        } catch (RuntimeException e) {
            bytes.release();
            log.warn("Could not install the admin pipeline for {}", channel.remoteAddress(), e);
            channel.close();
            return;
        }
        pipeline.fireChannelRead(bytes);
        pipeline.fireChannelReadComplete();
        channel.config().setAutoRead(true);
    }
}
