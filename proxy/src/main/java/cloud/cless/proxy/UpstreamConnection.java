package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to an instance, and the handler on its channel: while an exchange uses it, every event goes to
 * that exchange; while it idles in its {@link UpstreamPool}, a read stays pending, so a close by the app (or any
 * unexpected byte, after which the connection cannot be trusted) takes it out of the pool at once.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

    /** What an exchange hears from its upstream connection. */
    interface User {
        void upstreamRead(ByteBuf bytes);

        void upstreamReadComplete();

        void upstreamWritable();

        /** The app sent its FIN. */
        void upstreamInputEnded();

        /** The connection closed, or failed with {@code cause} (null for a plain close). */
        void upstreamClosed(Throwable cause);
    }

    private final Channel channel;
    private final UpstreamPool.Slot slot;
    private User user;
    private boolean reused;
    long idleSinceNanos;

    UpstreamConnection(Channel channel, UpstreamPool.Slot slot) {
        this.channel = channel;
        this.slot = slot;
    }

    Channel channel() {
        return channel;
    }

    UpstreamPool.Slot slot() {
        return slot;
    }

    /** Whether an earlier exchange used this connection (it came from the pool). */
    boolean reused() {
        return reused;
    }

    /** {@code user} gets this connection's events from now on. */
    void attach(User user) {
        this.user = user;
    }

    /** The exchange is over; the connection goes back to the pool or is closed by the caller. */
    void detach() {
        user = null;
        reused = true;
    }

    /** The exchange is over: the connection goes back to its pool when it may carry another, else it closes. */
    void release(boolean reusable, long nowNanos) {
        detach();
        if (reusable) {
            slot.pool().offer(this, nowNanos);
        } else {
            channel.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (user != null && msg instanceof ByteBuf bytes) {
            user.upstreamRead(bytes);
            return;
        }
        ReferenceCountUtil.release(msg);
        if (user == null) {
            log.debug("Idle connection to {} received unexpected bytes; closing it", channel.remoteAddress());
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (user != null) {
            user.upstreamReadComplete();
        } else if (channel.isActive()) {
            ctx.read(); // idle in the pool: stay ready to notice a close
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (user != null && channel.isWritable()) {
            user.upstreamWritable();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (user != null) {
                user.upstreamInputEnded();
            } else {
                ctx.close();
            }
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        User current = user;
        if (current != null) {
            user = null;
            current.upstreamClosed(null);
        } else {
            slot.removeIdle(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        User current = user;
        if (current != null) {
            user = null;
            current.upstreamClosed(cause);
        } else if (!(cause instanceof IOException)) {
            log.warn("Unexpected error on an idle connection to {}", channel.remoteAddress(), cause);
        }
        ctx.close();
    }
}
