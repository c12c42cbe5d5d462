package cloud.cless.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chosen I/O transport: how to make the one event-loop group, and the matching server and socket channel
 * classes for the listener and for connections to instances.
 *
 * @param mode               the transport actually used (never AUTO)
 * @param ioHandlerFactory   creates the per-loop I/O handler
 * @param serverChannelClass listener channel class
 * @param socketChannelClass outgoing connection channel class
 */
public record Transport(
        IoMode mode,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerSocketChannel> serverChannelClass,
        Class<? extends SocketChannel> socketChannelClass) {

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /**
     * Picks the transport for {@code requested}; AUTO takes io_uring when available (measured fastest for the
     * relay: bench/compare.sh), else epoll, else NIO. An explicitly
     * requested native transport that is not available is an error that says why.
     */
    public static Transport select(IoMode requested) {
        Transport chosen = switch (requested) {
            case AUTO -> IoUring.isAvailable() ? ioUring() : Epoll.isAvailable() ? epoll() : nio();
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("--io epoll: epoll is not available: "
                            + Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("--io io_uring: io_uring is not available: "
                            + IoUring.unavailabilityCause());
                }
                yield ioUring();
            }
            case NIO -> nio();
        };
        if (requested == IoMode.AUTO && chosen.mode != IoMode.IO_URING) {
            log.info("Using the {} transport (io_uring not available: {})",
                    chosen.mode.name().toLowerCase(java.util.Locale.ROOT), String.valueOf(IoUring.unavailabilityCause()));
        } else {
            log.info("Using the {} transport", chosen.mode.name().toLowerCase(java.util.Locale.ROOT));
        }
        return chosen;
    }

    /**
     * Whether a connection that its peer closed (a FIN, a reset) is noticed only by reading from it: so with NIO,
     * whose selector reports a hang-up as readiness to read; epoll and io_uring watch for it (RDHUP) without a read.
     */
    public boolean seesHangUpOnlyByReading() {
        return mode == IoMode.NIO;
    }

    /** The one event-loop group of the process; {@code threads} 0 means Netty's default (2 x cores). */
    public EventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("cless-io"), ioHandlerFactory);
    }

    private static Transport epoll() {
        return new Transport(IoMode.EPOLL, EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class);
    }

    private static Transport ioUring() {
        return new Transport(IoMode.IO_URING, IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class);
    }

    private static Transport nio() {
        return new Transport(IoMode.NIO, NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class);
    }
}
