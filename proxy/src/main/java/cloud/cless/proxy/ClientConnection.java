package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First step: a client connection, the handler on its channel. It holds the bytes read and not yet used, asks for
 * reads only while its {@link ClientRequests} want bytes (auto-read is off), writes with one flush per read loop,
 * keeps the connection's one timer (--header-timeout while a head is read, --keepalive-timeout between requests),
 * and ends the connection: a close, a close that lingers for a client still sending, or a hand-over to the admin
 * API or to a {@link Tunnel}.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements ClientTimeouts.Expiry {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private final RequestPath path;
    private final InboundBytes inbound = new InboundBytes();
    private final ClientRequests requests;
    private ChannelHandlerContext ctx;
    private ClientTimeouts timeouts;
    private ClientAddress address;
    private boolean started;
    private boolean inReadLoop;
    private boolean flushPending;
    private boolean draining;
    private boolean inputEnded;

    ClientConnection(RequestPath path) {
        this.path = path;
        this.requests = new ClientRequests(path, this);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        address = ClientAddress.of(ctx.channel(), path.config().trustedProxies());
        timeouts = new ClientTimeouts(ctx.channel().eventLoop(), path.config().headerTimeout().toNanos(),
                path.config().keepAliveTimeout().toNanos(), this);
        timeouts.header();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inReadLoop = true;
        if (!(msg instanceof ByteBuf in) || requests.done()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inbound.add(ctx.alloc(), in);
        requests.bytesArrived();
        inbound.trim();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inReadLoop = false;
        requests.readComplete();
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        if (requests.wantsRead()) {
            ctx.read();
        }
    }

    /** Asks for the next read when one is wanted (inside a read loop, its end asks). */
    void requestRead() {
        if (!inReadLoop && requests.wantsRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            requests.clientWritable();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            requests.inputEnded();
        } else if (evt == ProxyServer.DRAIN) {
            draining = true;
            requests.draining();
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void timedOut(int kind) {
        requests.timedOut(kind);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        requests.closed();
        ended();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("Client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Unexpected error on client connection {}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ended();
    }

    private void ended() {
        inbound.release();
        if (timeouts != null) {
            timeouts.cancel();
        }
        requests.ended();
    }

    // ---- for the steps of the path ----

    /** The bytes read from the client and not yet forwarded or parsed. */
    InboundBytes inbound() {
        return inbound;
    }

    ClientTimeouts timeouts() {
        return timeouts;
    }

    ClientAddress address() {
        return address;
    }

    SocketAddress remoteAddress() {
        return ctx.channel().remoteAddress();
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    /** cless shuts down: no new request is to start here. */
    boolean draining() {
        return draining;
    }

    /** The client sent its FIN: no further request comes. */
    boolean inputEnded() {
        return inputEnded;
    }

    void write(ByteBuf bytes) {
        ctx.write(bytes, ctx.voidPromise());
    }

    void flush() {
        flushPending = false;
        ctx.flush();
    }

    /** Flushes now, or at the end of the read loop when inside one. */
    void flushSoon() {
        if (inReadLoop) {
            flushPending = true;
        } else {
            ctx.flush();
        }
    }

    boolean writable() {
        return ctx.channel().isWritable();
    }

    // ---- endings ----

    /** Closes once what was written is flushed. */
    void close() {
        stopReading();
        Channel channel = ctx.channel();
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        if (channel.isActive() && pending != null && pending.totalPendingWriteBytes() > 0) {
            flushPending = false;
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close(); // everything went out already: no empty write to wait for
        }
    }

    /**
     * Writes {@code last}, shuts the output and reads and drops what the client still sends before the close (see
     * {@link ClientErrors#sendAndClose}): a close with unread bytes would reset the connection before the client read
     * the answer.
     */
    void closeLingering(ByteBuf last) {
        stopReading();
        path.errors().sendAndClose(ctx.channel(), last);
    }

    /** The connection is the admin API's from now on, the bytes read so far (the admin request) included. */
    void toAdmin() {
        ByteBuf bytes = inbound.takeAll();
        stopReading();
        AdminHandover.install(ctx, this, path.adminRoute(), bytes);
    }

    /** The connection is a byte tunnel to {@code upstream} from now on, under {@code lease}. */
    void toTunnel(Channel upstream, InstanceLease lease, ByteBuf fromUpstream, Tunnel.Closed onClosed) {
        if (timeouts != null) {
            timeouts.cancel();
        }
        ctx.flush();
        Tunnel.start(ctx, upstream, lease, inbound.takeAll(), fromUpstream, onClosed);
    }

    private void stopReading() {
        if (timeouts != null) {
            timeouts.cancel();
        }
        inbound.release();
    }
}
