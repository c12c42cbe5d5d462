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
 * bytes read so far to a {@link RelaySession}. Nothing is read from the client meanwhile: its further bytes stay
 * in the socket, which is the backpressure during a cold start. A connect that fails (nothing was sent upstream
 * yet) is retried once: on a fresh instance when the connect was refused, on whichever instance is least loaded
 * when it timed out. Failures become 502, 503 or 504.
 */
public final class AwaitInstanceHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AwaitInstanceHandler.class);

    private final ConnectionPath path;
    private final ServiceDefinition service;
    private final String host;
    private ByteBuf pending;
    private boolean clientGone;
    /** A failed connect is retried once; nothing was sent upstream yet, so it is safe. */
    private boolean retried;

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
        acquired.addListener(f -> onAcquired(ctx, acquired));
    }

    private void onAcquired(ChannelHandlerContext ctx, Future<InstanceLease> acquired) {
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
            switch (failure.reason()) {
                case START_FAILED -> path.errors().send(inbound, ClientError.BAD_GATEWAY, host,
                        "service " + service.name() + startedFrom() + " could not be started: " + failure.getMessage());
                case STARTUP_TIMEOUT -> path.errors().send(inbound, ClientError.GATEWAY_TIMEOUT, host,
                        "service " + service.name() + " was not ready in time: " + failure.getMessage());
                case UNAVAILABLE -> path.errors().send(inbound, ClientError.SERVICE_UNAVAILABLE, host,
                        "service " + service.name() + " is unavailable: " + failure.getMessage());
                case NOT_FOUND -> path.errors().send(inbound, ClientError.NOT_FOUND, host,
                        "no service for host " + host + ": " + failure.getMessage());
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
        // Reads stay off until the relay starts.
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // The relay sees a half-close that happened meanwhile through the channel's isInputShutdown().
        if (!(evt instanceof ChannelInputShutdownEvent)) {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientGone = true;
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        clientGone = true;
        releasePending();
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
        clientGone = true;
        releasePending();
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
