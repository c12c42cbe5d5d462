package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import java.io.IOException;
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
            if (!flushed.isSuccess() || !(to instanceof DuplexChannel duplex) || !to.isActive()) {
                close();
                return;
            }
            duplex.shutdownOutput().addListener(shut -> {
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
