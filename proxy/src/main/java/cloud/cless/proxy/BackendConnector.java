package cloud.cless.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opens the connection to an instance on the client connection's own event loop, so a relayed byte never
 * changes thread. The channel comes back with auto-read off and an empty pipeline, ready for the relay.
 *
 * <p>This is what a {@code Bootstrap} does, without its per-connect copies of the option and attribute maps, its
 * address resolver lookup and an initializer added to and removed from the pipeline: one connect per client
 * connection makes those count.
 */
public final class BackendConnector {
    private final ChannelFactory<? extends SocketChannel> channels;
    private final int connectTimeoutMillis;
    private final WriteBufferWaterMark waterMark;

    public BackendConnector(Class<? extends SocketChannel> channelClass, Duration connectTimeout,
                            WriteBufferWaterMark waterMark) {
        this.channels = new ReflectiveChannelFactory<>(channelClass);
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.waterMark = waterMark;
    }

    /** Connects to {@code address} on {@code inbound}'s event loop. */
    public ChannelFuture connect(Channel inbound, InetSocketAddress address) {
        SocketChannel channel = channels.newChannel();
        // TCP_NODELAY is on by default in every Netty transport; setting it again is a wasted syscall.
        ChannelConfig config = channel.config();
        config.setAutoRead(false);
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        config.setWriteBufferWaterMark(waterMark);
        config.setConnectTimeoutMillis(connectTimeoutMillis);
        ChannelPromise connected = new DefaultChannelPromise(channel, inbound.eventLoop());
        connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        inbound.eventLoop().register(channel).addListener((ChannelFuture registered) -> {
            if (registered.isSuccess()) {
                channel.connect(address, connected);
            } else {
                channel.unsafe().closeForcibly();
                connected.setFailure(registered.cause());
            }
        });
        return connected;
    }
}
