package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fifth step, after a 101: the client connection and its upstream connection as one byte tunnel, both on the same
 * event loop, holding the request's lease until it closes (a tunnel is one long request). Each side gets a
 * {@link TunnelHandler}; this object keeps what the two share: the state of each direction and closing both once.
 *
 * <p>Half-close follows Envoy: when one side ends its input, the other side's output is shut down once what was
 * written to it is flushed; when both directions have ended, or on any error or close, both channels are closed
 * (after flushing what is pending) and the lease is released.
 */
final class Tunnel {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    /** Told the bytes each way once the tunnel closed. */
    interface Closed {
        void closed(long fromClient, long toClient);
    }

    private final Channel client;
    private final Channel upstream;
    private final InstanceLease lease;
    private final Closed onClosed;
    private long fromClient;
    private long toClient;
    private boolean clientToUpstreamDone;
    private boolean upstreamToClientDone;
    private boolean closed;

    private Tunnel(Channel client, Channel upstream, InstanceLease lease, Closed onClosed) {
        this.client = client;
        this.upstream = upstream;
        this.lease = lease;
        this.onClosed = onClosed;
    }

    /**
     * Replaces the HTTP handlers of both channels (the client's is {@code clientContext}'s) by the tunnel's, writes
     * the bytes each side sent past the switch (either may be null; owned from now on), then reads both sides.
     */
    static void start(ChannelHandlerContext clientContext, Channel upstream, InstanceLease lease, ByteBuf toUpstream,
                      ByteBuf toClient, Closed onClosed) {
        Channel client = clientContext.channel();
        Tunnel tunnel = new Tunnel(client, upstream, lease, onClosed);
        clientContext.pipeline().replace(clientContext.handler(), RequestPath.TUNNEL, new TunnelHandler(tunnel, upstream));
        upstream.pipeline().replace(RequestPath.UPSTREAM, RequestPath.TUNNEL, new TunnelHandler(tunnel, client));
        upstream.closeFuture().addListener(f -> tunnel.close());
        client.closeFuture().addListener(f -> tunnel.close());
        if (toClient != null) {
            tunnel.toClient += toClient.readableBytes();
            client.writeAndFlush(toClient, client.voidPromise());
        }
        if (toUpstream != null) {
            tunnel.fromClient += toUpstream.readableBytes();
            upstream.writeAndFlush(toUpstream, upstream.voidPromise());
        }
        if (isInputShutdown(client)) {
            tunnel.inputEnded(client);
        } else if (upstream.isWritable()) {
            client.read();
        }
        upstream.read();
    }

    /** {@code from} read {@code bytes} in one read loop, all written to its peer. */
    void relayed(Channel from, long bytes) {
        lease.touch();
        if (from == client) {
            fromClient += bytes;
        } else {
            toClient += bytes;
        }
    }

    /** {@code from} will send no more bytes: pass the half-close on once its bytes are flushed. */
    void inputEnded(Channel from) {
        Channel to = peer(from);
        if (closed) {
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) flushed -> {
            if (!flushed.isSuccess() || !to.isActive()) {
                close();
                return;
            }
            shutdownOutput(to).addListener(shut -> {
                if (!shut.isSuccess()) {
                    close();
                    return;
                }
                if (from == client) {
                    clientToUpstreamDone = true;
                } else {
                    upstreamToClientDone = true;
                }
                if (clientToUpstreamDone && upstreamToClientDone) {
                    close();
                } else {
                    // Nothing more goes to `to`, so its own end of input ends the tunnel: let the transport close
                    // it at once rather than half-close it (a shutdown(SHUT_RD) that fails on a socket already in
                    // TIME_WAIT, then a shutdownOutput of the peer that a close does as well).
                    to.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                }
            });
        });
    }

    /**
     * Sends the FIN of {@code channel}, whose writes are all flushed. On the native transports this is the socket's
     * own shutdown: the channel's shutdownOutput() builds an exception with a stack trace every time (to fail
     * writes still queued, of which there are none here), a measurable share of a short connection's cost.
     */
    private static ChannelFuture shutdownOutput(Channel channel) {
        if (channel instanceof UnixChannel unix && unix.fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
                return channel.newSucceededFuture();
            } catch (IOException | NotYetConnectedException e) {
                return channel.newFailedFuture(e);
            }
        }
        return channel instanceof DuplexChannel duplex
                ? duplex.shutdownOutput()
                : channel.newFailedFuture(new UnsupportedOperationException("no half-close on " + channel));
    }

    void failed(Channel side, Throwable cause) {
        String which = side == client ? "client" : "instance " + lease.instanceId();
        if (cause instanceof IOException) {
            log.debug("Tunnel: {} connection failed: {}", which, cause.toString());
        } else {
            log.warn("Tunnel: unexpected error on the {} connection", which, cause);
        }
        close();
    }

    /** Closes both sides after flushing what is queued for them, and releases the lease; once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeOnFlush(client);
        closeOnFlush(upstream);
        lease.release();
        onClosed.closed(fromClient, toClient);
    }

    Channel peer(Channel side) {
        return side == client ? upstream : client;
    }

    static boolean isInputShutdown(Channel channel) {
        return channel instanceof DuplexChannel duplex && duplex.isInputShutdown();
    }

    private static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }
}
