package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;

/** Admin API double: answers every request with its method, path and body. */
final class EchoAdmin implements AdminRoute {
    @Override
    public void install(Channel channel) {
        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                        String text = "admin " + request.method() + " " + request.uri() + " "
                                + request.content().toString(StandardCharsets.UTF_8);
                        ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
                        DefaultFullHttpResponse response = new DefaultFullHttpResponse(
                                request.protocolVersion(), HttpResponseStatus.OK, body);
                        HttpUtil.setContentLength(response, body.readableBytes());
                        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                        ctx.writeAndFlush(response);
                    }
                });
    }
}
