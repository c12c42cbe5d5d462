package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.proxy.http1.MessageBody;
import cloud.cless.proxy.http1.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests of one client connection, one after another, in order: each head is parsed once the previous
 * response ended (a pipelined one waits in the connection's bytes), routed by {@link Router}, and either runs an
 * {@link Exchange} or gets cless's own answer; each ends in its {@link RequestRecord}. What the requests of a
 * connection share lives here and is reused: the head, the body's framing, the {@link ResponseForwarder}.
 */
final class ClientRequests {
    private static final Logger log = LoggerFactory.getLogger(ClientRequests.class);
    private static final int READING = 0;
    private static final int EXCHANGING = 1;
    private static final int DISCARDING = 2;
    private static final int DONE = 3;

    private final RequestPath path;
    private final ClientConnection connection;
    private final RequestHead head = new RequestHead();
    private final MessageBody body;
    private final ResponseForwarder response;
    private final ConnectionMeters meters;
    private final RequestRecord record;
    private int state;
    private Exchange exchange;
    private final HeadReader heads;

    ClientRequests(RequestPath path, ClientConnection connection) {
        this.path = path;
        this.connection = connection;
        this.body = new MessageBody(path.config().maxHeaderSize());
        this.response = new ResponseForwarder(path.responseParser(), path.config().maxHeaderSize(), this);
        this.meters = new ConnectionMeters(path.metrics());
        this.record = new RequestRecord(meters);
        this.heads = new HeadReader(path.requestParser(), this);
    }

    // ---- what the connection tells ----

    void bytesArrived() {
        switch (state) {
            case READING -> heads.read();
            case EXCHANGING -> exchange.clientBytes();
            case DISCARDING -> discard();
            default -> {
            }
        }
    }

    void readComplete() {
        if (exchange != null) {
            exchange.clientReadComplete();
        }
    }

    /**
     * Whether the client should be read: for a head or a body to forward or drop; during a response only to hold
     * a pipelined head (up to a bound) and to notice the client leaving; while a request awaits its lease only on a
     * transport that sees a client leave by reading alone (up to the same bound).
     */
    boolean wantsRead() {
        return switch (state) {
            case READING, DISCARDING -> !connection.inputEnded();
            case EXCHANGING -> exchange.wantsClientBytes() || (exchange.requestSent()
                    || path.watchesWaitingClients() && exchange.awaitingLease()) && !connection.inputEnded()
                    && connection.inbound().readable() < path.config().maxHeaderSize();
            default -> false;
        };
    }

    void clientWritable() {
        if (exchange != null) {
            exchange.clientWritable();
        }
    }

    void inputEnded() {
        switch (state) {
            case READING -> {
                if (connection.inbound().readable() == 0) {
                    close();
                } else if (!heads.reading()) {
                    refuse(ClientError.BAD_REQUEST, "connection half-closed before the request head was complete");
                }
            }
            case EXCHANGING -> exchange.clientInputEnded();
            case DISCARDING -> close();
            default -> {
            }
        }
    }

    void draining() {
        if (state == READING && connection.inbound().readable() == 0) {
            close();
        }
    }

    void timedOut(int kind) {
        if (state == DISCARDING) {
            log.debug("Closing {}: the body of an answered request did not come within {} ms",
                    connection.remoteAddress(), path.config().keepAliveTimeout().toMillis());
            close();
            return;
        }
        if (state != READING) {
            return;
        }
        if (kind == ClientTimeouts.HEADER) {
            refuse(ClientError.REQUEST_TIMEOUT, "request head not complete within "
                    + path.config().headerTimeout().toMillis() + " ms");
        } else {
            log.debug("Closing {} after {} ms idle", connection.remoteAddress(),
                    path.config().keepAliveTimeout().toMillis());
            close();
        }
    }

    /** The client connection closed (or failed). */
    void closed() {
        state = DONE;
        if (exchange != null) {
            Exchange current = exchange;
            exchange = null;
            current.clientClosed();
        }
        finishRecord();
    }

    /** The connection's handler went (closed, or handed over): it leaves the services' open connections. */
    void ended() {
        meters.closed();
    }

    boolean done() {
        return state == DONE;
    }

    // ---- one request after another ----

    /** The next request, whose head was complete at {@code bytes}' reader index; it began at {@code startNanos}. */
    void request(long startNanos, ByteBuf bytes) {
        record.start(startNanos, head, bytes);
        body.of(head);
        path.router().route(this, head);
    }

    /** Whether the next head may be read: the previous request is over. */
    boolean readingHeads() {
        return state == READING;
    }

    /** The router's decision: the request runs {@code next}. */
    void exchange(Exchange next) {
        state = EXCHANGING;
        exchange = next;
        next.start();
    }

    /** The router's decision: the request (and the connection from now on) is the admin API's. */
    void toAdmin() {
        record.forget(); // the admin API is not proxied: no access log line
        state = DONE;
        connection.toAdmin();
    }

    /**
     * cless answers this request itself. The connection carries on when the error allows it and the request was
     * framed cleanly (its body, if any, is read and dropped first); otherwise it closes after the answer.
     */
    void answer(ClientError error, String reason, boolean quiet) {
        exchange = null;
        noteError(error, reason, quiet);
        boolean keep = error.keepsConnection() && head.persistent() && !(head.expectContinue() && head.hasBody())
                && !connection.draining() && !connection.inputEnded();
        ByteBuf answer = path.errors().response(connection.alloc(), error, reason, !keep);
        record.out += answer.readableBytes();
        finishRecord();
        if (!keep) {
            state = DONE;
            connection.closeLingering(answer);
            return;
        }
        connection.write(answer);
        connection.flushSoon();
        state = DISCARDING;
        connection.timeouts().keepAlive();
        discard();
    }

    /** A head or body cless refuses: the answer closes the connection. */
    void refuse(ClientError error, String reason) {
        exchange = null;
        if (!record.open()) {
            record.start(heads.startNanos());
        }
        noteError(error, reason, false);
        ByteBuf answer = path.errors().response(connection.alloc(), error, reason, true);
        record.out += answer.readableBytes();
        finishRecord();
        state = DONE;
        connection.closeLingering(answer);
    }

    private void noteError(ClientError error, String reason, boolean quiet) {
        record.status = error.status();
        record.ended(RequestRecord.ERROR);
        path.errors().record(error, head.host(), record.service, connection.remoteAddress(), reason, quiet);
    }

    /** Reads and drops the body of a request cless answered, by its framing; then the next request. */
    private void discard() {
        ByteBuf bytes = connection.inbound().buffer();
        int n = bytes == null ? 0 : body.take(bytes);
        if (n < 0) {
            refuse(ClientError.BAD_REQUEST, "malformed chunked request body: " + body.error());
            return;
        }
        if (n > 0) {
            bytes.skipBytes(n);
            connection.timeouts().keepAlive(); // a body that keeps coming may take its time
        }
        if (body.done()) {
            state = READING;
            nextRequest(System.nanoTime());
        } else {
            connection.requestRead(); // the rest of the body is still to come, within the keep-alive timeout
        }
    }

    /** The response ended; {@code keepAlive}: the connection goes on with the next request. */
    void exchangeEnded(boolean keepAlive, long nowNanos) {
        exchange = null;
        record.finish(connection.remoteAddress(), nowNanos);
        if (!body.done() && !connection.inputEnded()) {
            // The app answered before the whole body came: the client may still be sending it.
            state = DONE;
            connection.closeLingering(Unpooled.EMPTY_BUFFER);
        } else if (!keepAlive || connection.draining()) {
            close();
        } else {
            state = READING;
            nextRequest(nowNanos);
        }
    }

    /** The response began but cannot end cleanly: close after what was written. */
    void exchangeCut() {
        exchange = null;
        finishRecord();
        close();
    }

    private void nextRequest(long nowNanos) {
        connection.timeouts().keepAlive(nowNanos);
        heads.read();
        connection.requestRead(); // when the next head or body is due, or a request that waits is watched
    }

    /** The app answered 101: the connection becomes a byte tunnel, which holds the lease until it closes. */
    void toTunnel(Channel upstream, InstanceLease lease, ByteBuf fromUpstream) {
        exchange = null;
        state = DONE;
        connection.toTunnel(upstream, lease, fromUpstream, (in, out) -> {
            record.in += in;
            record.out += out;
            record.upstreamEndNanos = System.nanoTime();
            record.ended(RequestRecord.UPGRADED);
            finishRecord();
        });
    }

    void close() {
        state = DONE;
        connection.close();
    }

    private void finishRecord() {
        record.finish(connection.remoteAddress());
    }

    // ---- what the steps share ----

    ClientConnection connection() {
        return connection;
    }

    RequestHead head() {
        return head;
    }

    MessageBody requestBody() {
        return body;
    }

    ResponseForwarder response() {
        return response;
    }

    RequestRecord record() {
        return record;
    }

    /** The connection closes after this request: the client asked, or ended its side, or cless drains. */
    boolean closesAfterRequest() {
        return !head.persistent() || connection.inputEnded() || connection.draining();
    }
}
