package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One side of a {@link Tunnel}: what this channel reads is written to its peer, flushed once per read
 * loop, and the next read is asked for only while the peer can take more. When this channel drains below its
 * low water mark, the peer (which writes into it) may read again.
 *
 * <p>One known limit: once a side has sent its FIN, the epoll transport drains what is left in that socket's
 * receive buffer whether or not a read was asked for (auto-read is a hint there; netty/netty#13142). That is
 * bounded by the kernel's receive buffer and happens once per direction; backpressure holds while both sides send.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
    private final Tunnel tunnel;
    private final Channel peer;
    /** Bytes read and written on in the current read loop; accounted once at its end. */
    private long readBytes;
    private boolean wrote;

    TunnelHandler(Tunnel tunnel, Channel peer) {
        this.tunnel = tunnel;
        this.peer = peer;
    }

    /** The channel this side writes to. */
    Channel peer() {
        return peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (peer.isActive()) {
            if (msg instanceof ByteBuf buf) {
                readBytes += buf.readableBytes();
            }
            // Errors of this write surface as exceptionCaught on the peer, which closes the tunnel.
            peer.write(msg, peer.voidPromise());
            wrote = true;
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (wrote) {
            wrote = false;
            peer.flush();
            tunnel.relayed(ctx.channel(), readBytes);
            readBytes = 0;
        }
        if (peer.isWritable() && !Tunnel.isInputShutdown(ctx.channel())) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && peer.isActive() && !Tunnel.isInputShutdown(peer)) {
            peer.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            tunnel.inputEnded(ctx.channel());
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tunnel.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        tunnel.failed(ctx.channel(), cause);
    }
}
