package cloud.cless.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opens the connection to an instance on the client connection's own event loop, so a relayed byte never
 * changes thread. The channel comes back with auto-read off and an empty pipeline, ready for the relay.
 */
public final class BackendConnector {
    private final Bootstrap template;

    public BackendConnector(Class<? extends SocketChannel> channelClass, Duration connectTimeout,
                            WriteBufferWaterMark waterMark) {
        this.template = new Bootstrap()
                .channel(channelClass)
                // TCP_NODELAY is on by default in every Netty transport; setting it again is a wasted syscall.
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(EmptyPipeline.INSTANCE);
    }

    /** Connects to {@code address} on {@code inbound}'s event loop. */
    public ChannelFuture connect(Channel inbound, InetSocketAddress address) {
        return template.clone(inbound.eventLoop()).connect(address);
    }

    // Bootstrap wants a handler; this one leaves the pipeline empty for the relay to fill.
    @Sharable
    private static final class EmptyPipeline extends ChannelInitializer<Channel> {
        static final EmptyPipeline INSTANCE = new EmptyPipeline();

        @Override
        protected void initChannel(Channel ch) {
            // Nothing: the relay installs its handler once the connection is up.
        }
    }
}
