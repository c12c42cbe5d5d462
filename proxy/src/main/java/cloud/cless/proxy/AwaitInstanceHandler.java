package cloud.cless.proxy;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Third step: acquires an instance of the routed service and connects to it, then hands both channels and the
 * bytes read so far to a {@link RelaySession}. While the acquire waits (a cold start, the queue), the client is
 * watched with one small read at a time, so that a client that leaves is noticed: its end of the stream (or a
 * reset) cancels the acquire, which gives its place up at once. What it sends meanwhile is kept for the instance,
 * up to a bound; beyond it nothing more is read, which is the backpressure during a cold start. A connect that
 * fails (nothing was sent upstream yet) is retried once: on a fresh instance when the connect was refused, on
 * whichever instance is least loaded when it timed out. Failures become 404, 502, 503 or 504.
 */
public final class AwaitInstanceHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AwaitInstanceHandler.class);
    /** While waiting, bytes of the client's kept for the instance before reading stops. */
    private static final int WATCH_LIMIT = 64 * 1024;

    private final ConnectionPath path;
    private final ServiceDefinition service;
    private final String host;
    private ByteBuf pending;
    private boolean clientGone;
    /** A failed connect is retried once; nothing was sent upstream yet, so it is safe. */
    private boolean retried;
    /** The acquire in flight; cancelled when the client leaves before it completes. */
    private Future<InstanceLease> acquiring;

    public AwaitInstanceHandler(ConnectionPath path, ServiceDefinition service, String host, ByteBuf pending) {
        this.path = path;
        this.service = service;
        this.host = host;
        this.pending = pending;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        acquire(ctx);
    }

    private void acquire(ChannelHandlerContext ctx) {
        Future<InstanceLease> acquired = path.instances().acquire(service, ctx.channel().eventLoop());
        acquiring = acquired;
        acquired.addListener(f -> onAcquired(ctx, acquired));
        if (!acquired.isDone()) {
            ctx.read(); // watch the client while it waits
        }
    }

    private boolean waiting() {
        return acquiring != null && !acquiring.isDone();
    }

    /** The client left while its acquire waited: the acquire is cancelled (its place goes), the channel closes. */
    private void clientLeft(ChannelHandlerContext ctx, String how) {
        clientGone = true;
        Future<InstanceLease> pendingAcquire = acquiring;
        if (pendingAcquire != null && pendingAcquire.cancel(false)) {
            log.debug("Client for host {} {} while waiting for an instance of service {}", host, how,
                    service.name());
        }
        releasePending();
    }

    private void onAcquired(ChannelHandlerContext ctx, Future<InstanceLease> acquired) {
        if (acquired.isCancelled()) {
            return; // the client left; nothing to answer
        }
        if (!acquired.isSuccess()) {
            if (clientGone) {
                log.debug("Acquire for host {} failed after the client left", host, acquired.cause());
            } else {
                failAcquire(ctx, acquired.cause());
            }
            return;
        }
        InstanceLease lease = acquired.getNow();
        if (clientGone || !ctx.channel().isActive()) {
            log.debug("Client for host {} left during the acquire; releasing instance {}", host, lease.instanceId());
            lease.release();
            return;
        }
        ChannelFuture connect = path.connector().connect(ctx.channel(), lease.address());
        connect.addListener(f -> onConnected(ctx, lease, connect));
    }

    private void onConnected(ChannelHandlerContext ctx, InstanceLease lease, ChannelFuture connect) {
        Channel inbound = ctx.channel();
        if (!connect.isSuccess()) {
            Throwable cause = connect.cause();
            if (!(cause instanceof ConnectTimeoutException)) {
                lease.connectFailed(cause); // refused: nothing listens there any more, the manager replaces it
            }
            // A timed-out connect is an instance too busy to accept (its listen queue full), not a broken one:
            // replacing it would cut off every connection it is serving.
            lease.release();
            if (clientGone) {
                return;
            }
            if (!retried) {
                retried = true;
                log.debug("Connecting to service {} instance {} at {} failed ({}); retrying once",
                        service.name(), lease.instanceId(), lease.address(), cause.getMessage());
                acquire(ctx);
                return;
            }
            path.errors().send(inbound, ClientError.BAD_GATEWAY, host, "connecting to service "
                    + service.name() + " instance " + lease.instanceId() + " at " + lease.address()
                    + " failed: " + cause.getMessage());
            return;
        }
        Channel outbound = connect.channel();
        if (clientGone || !inbound.isActive()) {
            outbound.close();
            lease.release();
            return;
        }
        ByteBuf bytes = pending;
        pending = null;
        ctx.pipeline().remove(this);
        RelaySession.start(inbound, outbound, lease, host, bytes);
    }

    private void failAcquire(ChannelHandlerContext ctx, Throwable cause) {
        Channel inbound = ctx.channel();
        if (cause instanceof AcquireFailure failure) {
            ClientError error = switch (failure.reason()) {
                case START_FAILED -> ClientError.BAD_GATEWAY;
                case STARTUP_TIMEOUT -> ClientError.GATEWAY_TIMEOUT;
                case UNAVAILABLE -> ClientError.SERVICE_UNAVAILABLE;
                case NOT_FOUND -> ClientError.NOT_FOUND;
            };
            String message = switch (failure.reason()) {
                case START_FAILED -> "service " + service.name() + startedFrom() + " could not be started: "
                        + failure.getMessage();
                case STARTUP_TIMEOUT -> "service " + service.name() + " was not ready in time: " + failure.getMessage();
                case UNAVAILABLE -> "service " + service.name() + " is unavailable: " + failure.getMessage();
                case NOT_FOUND -> "no service for host " + host + ": " + failure.getMessage();
            };
            // A failed cold start is logged once where it happened, not again for every request it failed.
            if (failure.logged()) {
                path.errors().sendLoggedElsewhere(inbound, error, host, message);
            } else {
                path.errors().send(inbound, error, host, message);
            }
        } else {
            // The error response logs this failure; the stack trace is for debugging only.
            log.debug("Unexpected failure acquiring an instance of service {}", service.name(), cause);
            path.errors().send(inbound, ClientError.BAD_GATEWAY, host,
                    "service " + service.name() + " could not be reached: " + cause);
        }
    }

    private String startedFrom() {
        String image = service.imageReference();
        return image == null ? "" : " (image " + image + ")";
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Only unrequested reads get here (the kernel reporting the client's half-close with its last bytes).
        if (msg instanceof ByteBuf in && pending != null) {
            pending = ByteToMessageDecoder.COMPOSITE_CUMULATOR.cumulate(ctx.alloc(), pending, in);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Keep watching while the acquire waits, up to the bound; otherwise reads stay off until the relay starts.
        if (waiting() && !clientGone && (pending == null || pending.readableBytes() < WATCH_LIMIT)) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof ChannelInputShutdownEvent)) {
            ctx.fireUserEventTriggered(evt);
        } else if (waiting()) {
            // A request's body never ends with the stream, so an end while waiting is a client that hung up.
            clientLeft(ctx, "hung up");
            ctx.close();
        }
        // Once the instance is acquired, the relay sees a half-close that happened meanwhile through the channel's
        // isInputShutdown().
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientLeft(ctx, "closed the connection");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        clientLeft(ctx, "failed");
        if (cause instanceof IOException) {
            log.debug("Client for host {} failed while awaiting an instance", host, cause);
        } else {
            log.warn("Unexpected error while awaiting an instance for host {}", host, cause);
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed by an error response or by the hand-over to the relay: a late result has nowhere to go.
        clientLeft(ctx, "went");
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
