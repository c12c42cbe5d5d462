package cloud.cless.proxy;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * Opens connections to instances on the client connection's own event loop, so a forwarded byte never changes
 * thread. The channel comes back with auto-read off and an empty pipeline.
 *
 * <p>This is what a {@code Bootstrap} does, without its per-connect copies of the option and attribute maps, its
 * address resolver (a name lookup must never run on an event loop) and an initializer added to and removed from
 * the pipeline.
 */
public final class UpstreamConnector {
    private final ChannelFactory<? extends SocketChannel> channels;
    private final int connectTimeoutMillis;
    private final WriteBufferWaterMark waterMark;

    public UpstreamConnector(Class<? extends SocketChannel> channelClass, Duration connectTimeout,
                             WriteBufferWaterMark waterMark) {
        this.channels = new ReflectiveChannelFactory<>(channelClass);
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.waterMark = waterMark;
    }

    /** Connects to {@code address} on {@code loop}. */
    public ChannelFuture connect(EventLoop loop, InetSocketAddress address) {
        SocketChannel channel = channels.newChannel();
        // TCP_NODELAY is on by default in every Netty transport; setting it again is a wasted syscall.
        ChannelConfig config = channel.config();
        config.setAutoRead(false);
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        config.setWriteBufferWaterMark(waterMark);
        config.setConnectTimeoutMillis(connectTimeoutMillis);
        ChannelPromise connected = new DefaultChannelPromise(channel, loop);
        connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        InetSocketAddress target = literal(address);
        loop.register(channel).addListener((ChannelFuture registered) -> {
            if (!registered.isSuccess()) {
                channel.unsafe().closeForcibly();
                connected.setFailure(registered.cause());
            } else if (target == null) {
                connected.setFailure(new UnknownHostException("unresolved upstream address " + address));
            } else {
                channel.connect(target, connected);
            }
        });
        return connected;
    }

    /**
     * The address to connect to without a lookup: as it is when resolved; {@code localhost} (the one name an
     * upstream may have) is the loopback address; any other name, which core resolves before it gets here, is null.
     */
    private static InetSocketAddress literal(InetSocketAddress address) {
        if (!address.isUnresolved()) {
            return address;
        }
        return "localhost".equalsIgnoreCase(address.getHostString())
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), address.getPort()) : null;
    }
}
