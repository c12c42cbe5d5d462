package cloud.cless.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/** Starts every accepted connection on the {@link RequestPath}: its {@link ClientConnection} does the rest. */
@Sharable
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
    private final RequestPath path;
    private final ChannelGroup connections;

    /** {@code connections} collects the accepted channels (each leaves it when closed), for draining. */
    ProxyChannelInitializer(RequestPath path, ChannelGroup connections) {
        this.path = path;
        this.connections = connections;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ch.pipeline().addLast(RequestPath.CLIENT, path.newClientConnection());
    }
}
