package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.ServiceRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy listener: accepts client connections on the shared event-loop group and starts each on the
 * {@link RequestPath}. Also knows its open connections, so the launcher can drain them on shutdown.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /** The user event a drain sends every open connection. */
    static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final ProxyConfig config;
    private final Transport transport;
    private final EventLoopGroup group;
    private final RequestPath path;
    private final ChannelGroup connections = new DefaultChannelGroup("cless-proxy", GlobalEventExecutor.INSTANCE);
    private Channel listener;

    public ProxyServer(ProxyConfig config, Transport transport, EventLoopGroup group, ServiceRegistry registry,
                       InstanceManager instances, AdminRoute adminRoute, ClessMetrics metrics) {
        this.config = config;
        this.transport = transport;
        this.group = group;
        this.path = new RequestPath(config, registry, instances, adminRoute,
                new UpstreamConnector(transport.socketChannelClass(), config.connectTimeout(), config.waterMark()),
                metrics, group, transport.seesHangUpOnlyByReading());
    }

    /**
     * Binds and starts accepting; blocks until bound. Call from a thread that is not an event loop.
     *
     * @return the bound address (its port is the real one when the configured port was 0)
     * @throws ProxyBindException when the address cannot be bound
     */
    public synchronized InetSocketAddress start() {
        if (listener != null) {
            throw new IllegalStateException("already started");
        }
        ProxyChannelInitializer initializer = new ProxyChannelInitializer(path, connections);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                // No TCP_NODELAY here: every Netty transport turns it on by default, and setting it again costs a
                // setsockopt per connection.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, config.waterMark())
                .childHandler(initializer);
        String address = config.bindHost() + ":" + config.port();
        ChannelFuture bind = bootstrap.bind(config.bindHost(), config.port()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            throw new ProxyBindException(address, bind.cause());
        }
        listener = bind.channel();
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        log.info("Proxy listening on {}:{} (admin host {})", bound.getHostString(), bound.getPort(),
                config.adminHost());
        return bound;
    }

    /** Stops accepting new connections; open ones go on. */
    public synchronized void stopAccepting() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
    }

    /**
     * Drains every open connection: an idle one closes now, one with a request in flight closes once its response
     * ended (a response not begun yet says {@code Connection: close}), an upgraded tunnel goes on. Returns once
     * every connection has been told. Call from a thread that is not an event loop.
     */
    public void drain() {
        List<Future<?>> told = new ArrayList<>();
        for (Channel channel : connections) {
            told.add(channel.eventLoop().submit(() -> channel.pipeline().fireUserEventTriggered(DRAIN)));
        }
        for (Future<?> future : told) {
            future.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Connections accepted and not yet closed. */
    public int openConnections() {
        return connections.size();
    }

    ChannelGroup connections() {
        return connections;
    }

    /** Waits up to {@code timeout} for open connections to finish; true when none is left. */
    public boolean awaitConnectionsClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!connections.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
        return true;
    }

    /** Stops accepting and closes every open connection. The event-loop group is the caller's to shut down. */
    @Override
    public void close() {
        stopAccepting();
        connections.close().awaitUninterruptibly();
        path.closePools();
    }
}
