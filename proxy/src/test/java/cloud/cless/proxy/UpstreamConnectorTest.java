package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class UpstreamConnectorTest {
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    @ParameterizedTest
    @EnumSource(value = IoMode.class, names = {"EPOLL", "IO_URING", "NIO"})
    void connectsOnTheInboundLoopReadyForTheRelay(IoMode mode) throws Exception {
        Transport transport = AvailableTransports.select(mode).orElse(null);
        if (transport == null) {
            return;
        }
        try (Loop loop = new Loop(transport); ServerSocket backend = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            ChannelFuture connected = loop.connector().connect(loop.inbound.eventLoop(),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), backend.getLocalPort()));
            assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(connected.isSuccess()).as("%s", connected.cause()).isTrue();
            Channel channel = connected.channel();
            try {
                assertThat(channel.eventLoop()).isSameAs(loop.inbound.eventLoop());
                assertThat(channel.isActive()).isTrue();
                assertThat(channel.config().isAutoRead()).isFalse();
                assertThat(channel.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isTrue();
                assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
                assertThat(channel.config().getWriteBufferWaterMark()).isSameAs(WATER_MARK);
                assertThat(channel.pipeline().first()).isNull();
            } finally {
                channel.close().sync();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = IoMode.class, names = {"EPOLL", "IO_URING", "NIO"})
    void aRefusedConnectFailsAndLeavesNoOpenChannel(IoMode mode) throws Exception {
        int closedPort;
        try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            closedPort = taken.getLocalPort();
        }
        Transport transport = AvailableTransports.select(mode).orElse(null);
        if (transport == null) {
            return;
        }
        try (Loop loop = new Loop(transport)) {
            ChannelFuture connected = loop.connector().connect(loop.inbound.eventLoop(),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort));
            assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(connected.isSuccess()).isFalse();
            assertThat(connected.cause()).hasMessageContaining("refused");
            assertThat(connected.channel().closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = IoMode.class, names = {"EPOLL", "IO_URING", "NIO"})
    void anUnresolvedLocalhostIsTheLoopbackAndNoNameIsLookedUp(IoMode mode) throws Exception {
        Transport transport = AvailableTransports.select(mode).orElse(null);
        if (transport == null) {
            return;
        }
        try (Loop loop = new Loop(transport); ServerSocket backend = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            ChannelFuture local = loop.connector().connect(loop.inbound.eventLoop(),
                    InetSocketAddress.createUnresolved("localhost", backend.getLocalPort()));
            assertThat(local.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(local.isSuccess()).as("%s", local.cause()).isTrue();
            local.channel().close().sync();
            ChannelFuture named = loop.connector().connect(loop.inbound.eventLoop(),
                    InetSocketAddress.createUnresolved("example.invalid", backend.getLocalPort()));
            assertThat(named.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(named.cause()).hasMessageContaining("unresolved upstream address");
        }
    }

    /** One event loop of the transport with a registered channel standing in for a client connection. */
    private static final class Loop implements AutoCloseable {
        final Transport transport;
        final EventLoopGroup group;
        final Channel inbound;

        Loop(Transport transport) throws InterruptedException {
            this.transport = transport;
            group = transport.newEventLoopGroup(1);
            try {
                inbound = transport.socketChannelClass().getConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            inbound.pipeline().addLast(new ChannelInboundHandlerAdapter());
            group.register(inbound).sync();
        }

        UpstreamConnector connector() {
            return new UpstreamConnector(transport.socketChannelClass(), Duration.ofSeconds(5), WATER_MARK);
        }

        @Override
        public void close() {
            inbound.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
