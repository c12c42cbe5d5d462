package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to an instance, and the handler on its channel: while an exchange uses it, every event goes to
 * that exchange; while it idles in its {@link UpstreamPool}, a read stays pending, so a close by the app (or any
 * unexpected byte, after which the connection cannot be trusted) takes it out of the pool at once.
 *
 * <p>A new connection counts as being opened in its slot until the app answers on it, it closes, or
 * its pool's answer grace has passed since it opened: only an answer proves the app accepted it, and a slow answer
 * (a long poll) must not hold the next connections back for long.
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
    private boolean opening;
    private ScheduledFuture<?> grace;
    long idleSinceNanos;

    /** A connection just opened under {@link UpstreamPool.Slot#tryOpen()}: it counts as being opened. */
    UpstreamConnection(Channel channel, UpstreamPool.Slot slot) {
        this.channel = channel;
        this.slot = slot;
        this.opening = true;
        this.grace = channel.eventLoop().schedule(this::opened, slot.pool().answerGraceNanos(),
                TimeUnit.NANOSECONDS);
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

    /** The app answered, the connection closed, or the grace passed: the slot may open another. */
    private void opened() {
        if (opening) {
            opening = false;
            grace.cancel(false);
            grace = null;
            slot.openingEnded();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        opened();
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
        opened();
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
