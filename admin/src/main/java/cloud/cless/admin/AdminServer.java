package cloud.cless.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API on {@code 127.0.0.1:--admin-port}, served by the shared event-loop group. {@link #close()} unbinds
 * and closes the open admin connections.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final int port;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelClass;
    private final AdminPipeline pipeline;
    private final ChannelGroup channels = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
    private volatile Channel serverChannel;

    /**
     * @param port         the port on 127.0.0.1 (0 picks a free one; see {@link #address()})
     * @param group        the event-loop group to accept and serve on
     * @param channelClass the server channel class matching {@code group}'s transport
     * @param pipeline     installs the admin handlers on each connection
     */
    public AdminServer(int port, EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                       AdminPipeline pipeline) {
        this.port = port;
        this.group = group;
        this.channelClass = channelClass;
        this.pipeline = pipeline;
    }

    /** Binds; completes with the bound address, or fails with a message naming the port. */
    public CompletableFuture<InetSocketAddress> start() {
        CompletableFuture<InetSocketAddress> started = new CompletableFuture<>();
        ChannelFuture bind = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        pipeline.install(ch.pipeline());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port));
        bind.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                serverChannel = f.channel();
                channels.add(f.channel());
                InetSocketAddress bound = (InetSocketAddress) f.channel().localAddress();
                log.info("Admin API listening on http://127.0.0.1:{}", bound.getPort());
                started.complete(bound);
            } else {
                started.completeExceptionally(new IllegalStateException("cannot bind the admin API to 127.0.0.1:"
                        + port + " (" + f.cause().getMessage() + "); choose another --admin-port, or 0 to disable",
                        f.cause()));
            }
        });
        return started;
    }

    /** The bound address; null before {@link #start()} completed. */
    public InetSocketAddress address() {
        Channel channel = serverChannel;
        return channel == null ? null : (InetSocketAddress) channel.localAddress();
    }

    /** Unbinds and closes every admin connection; waits for that unless called on an event loop. */
    @Override
    public void close() {
        var closed = channels.close();
        if (!onEventLoop()) {
            closed.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    // Waiting on an event loop for channels of the same group could deadlock it.
    private boolean onEventLoop() {
        for (EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }
}
