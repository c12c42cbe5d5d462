package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last step: one client connection relayed to one instance connection, both on the same event loop. Each side
 * gets a {@link RelayHandler}; this object keeps what the two share: the lease, the state of each direction,
 * and closing both exactly once.
 *
 * <p>Half-close follows Envoy: when one side ends its input, the other side's output is shut down once what was
 * written to it is flushed; when both directions have ended, or on any error or close, both channels are closed
 * (after flushing what is pending) and the lease is released.
 */
final class RelaySession {
    private static final Logger log = LoggerFactory.getLogger(RelaySession.class);

    private final Channel client;
    private final Channel backend;
    private final InstanceLease lease;
    private final String host;
    private final ProxiedConnection connection;
    private boolean clientToBackendDone;
    private boolean backendToClientDone;
    private boolean closed;

    private RelaySession(Channel client, Channel backend, InstanceLease lease, String host,
                         ProxiedConnection connection) {
        this.client = client;
        this.backend = backend;
        this.lease = lease;
        this.host = host;
        this.connection = connection;
    }

    /** Starts relaying: writes {@code sniffed} (owned from now on) to the backend, then reads from both sides. */
    static void start(Channel client, Channel backend, InstanceLease lease, String host, ByteBuf sniffed) {
        ProxiedConnection connection = ProxiedConnection.of(client);
        connection.relaying(lease.instanceId(), sniffed.readableBytes());
        RelaySession session = new RelaySession(client, backend, lease, host, connection);
        client.pipeline().addLast(ConnectionPath.RELAY, new RelayHandler(session, backend));
        backend.pipeline().addLast(ConnectionPath.RELAY, new RelayHandler(session, client));
        backend.closeFuture().addListener(f -> session.close());
        client.closeFuture().addListener(f -> session.close());
        backend.writeAndFlush(sniffed, backend.voidPromise());
        lease.touch();
        if (isInputShutdown(client)) {
            session.inputEnded(client);
        } else if (backend.isWritable()) {
            client.read();
        }
        backend.read();
    }

    /** {@code from} read {@code bytes} in one read loop, all written to its peer. */
    void relayed(Channel from, long bytes) {
        lease.touch();
        if (from == client) {
            connection.relayedUpstream(bytes);
        } else {
            connection.relayedDownstream(bytes);
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
                    clientToBackendDone = true;
                } else {
                    backendToClientDone = true;
                }
                if (clientToBackendDone && backendToClientDone) {
                    close();
                } else {
                    // Nothing more goes to `to`, so its own end of input ends the session: let the transport close
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
            log.debug("Relay for host {}: {} connection failed: {}", host, which, cause.toString());
        } else {
            log.warn("Relay for host {}: unexpected error on the {} connection", host, which, cause);
        }
        connection.relayFailed();
        close();
    }

    /** Closes both sides after flushing what is queued for them, and releases the lease; once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeOnFlush(client);
        closeOnFlush(backend);
        lease.release();
    }

    Channel peer(Channel side) {
        return side == client ? backend : client;
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
