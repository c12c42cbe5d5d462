package cloud.cless.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;

/** Starts every accepted connection on its path: sniff the head, then route it; later steps install themselves. */
@Sharable
public final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
    private final ConnectionPath path;
    private final ChannelGroup connections;

    /** {@code connections} collects the accepted channels (each leaves it when closed), for draining. */
    public ProxyChannelInitializer(ConnectionPath path, ChannelGroup connections) {
        this.path = path;
        this.connections = connections;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ProxiedConnection.open(ch);
        ch.pipeline()
                .addLast(ConnectionPath.SNIFF, path.newSniffHandler())
                .addLast(ConnectionPath.ROUTE, path.newRouteHandler());
    }
}
