package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.proxy.http1.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fourth step: one request and its response, over one upstream connection under one lease. The rewritten head
 * goes first, then the body as the client's bytes arrive, by its framing, with backpressure both ways (the client
 * is read only while the upstream takes more, and the other way round in {@link ResponseForwarder}). When the
 * response ends, the lease is released and the connection goes back to the pool if both sides framed cleanly and
 * neither asked to close. A request sent on a reused connection that fails before any response byte is sent once
 * more on a new connection when it can be (no body, or its whole body in hand); otherwise the client gets a 502.
 */
final class Exchange implements Acquisition.Callback, UpstreamConnection.User {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    private final ClientRequests requests;
    private final ClientConnection client;
    private final RequestHead head;
    private final ResponseForwarder response;
    private final RequestRecord record;
    private final Acquisition acquisition;
    private final RequestForwarder request;
    private InstanceLease lease;
    private UpstreamConnection upstream;
    private long coldStartMillis = -1;
    private boolean retried;
    private boolean closeAfter;
    private boolean over;

    /**
     * @param route      where the request's host led
     * @param revision   the revision routing chose for it
     * @param replayable the request has no body, or all of it is inside {@code upstreamHead}
     */
    Exchange(ClientRequests requests, RequestPath path, Route route, Revision revision, ByteBuf upstreamHead,
             boolean replayable) {
        this.requests = requests;
        this.client = requests.connection();
        this.head = requests.head();
        this.response = requests.response();
        this.record = requests.record();
        this.request = new RequestForwarder(requests, upstreamHead, replayable, path.config().maxBodySize());
        this.acquisition = new Acquisition(path, route, revision, head.host(), client.eventLoop(), this);
    }

    void start() {
        acquisition.start();
    }

    // ---- the lease and the connection ----

    @Override
    public void acquired(InstanceLease lease, UpstreamConnection connection, boolean reused) {
        this.lease = lease;
        this.upstream = connection;
        connection.attach(this);
        if (coldStartMillis < 0) {
            coldStartMillis = lease.coldStartWaitMillis();
        }
        record.cold = coldStartMillis >= 0;
        record.served(lease.revision(), lease.instanceId());
        if (record.upstreamStartNanos == 0) {
            record.upstreamStartNanos = System.nanoTime();
        }
        record.requestMeters().upstreamConnection(reused);
        response.begin(this);
        Channel channel = connection.channel();
        if (!request.send(channel, connection.reused() && !retried)) {
            failRequest(request.error(), request.errorReason());
            return;
        }
        channel.read();
        client.requestRead(); // the rest of the body, or a pipelined head (the lease may have come later)
    }

    @Override
    public void acquireFailed(ClientError error, String reason, boolean quiet) {
        over = true;
        request.release();
        requests.answer(error, reason, quiet);
    }

    // ---- client to upstream (RequestForwarder does the bytes) ----

    void clientBytes() {
        if (!over && !request.forward()) {
            failRequest(request.error(), request.errorReason());
        }
    }

    void clientReadComplete() {
        request.readComplete();
    }

    /** The client should be read now: body is due and the upstream takes it. */
    boolean wantsClientBytes() {
        return !over && request.wantsBytes();
    }

    /** Whether the request waits for its lease (a cold start, the queue). */
    boolean awaitingLease() {
        return acquisition.waiting();
    }

    /** The request went out whole: reading ahead only holds a pipelined head, or notices the client leaving. */
    boolean requestSent() {
        return request.sent() && request.done();
    }

    @Override
    public void upstreamWritable() {
        if (request.sent() && !request.done()) {
            client.requestRead();
        }
    }

    void clientWritable() {
        if (upstream != null && request.sent()) {
            response.clientWritable(upstream.channel());
        }
    }

    // ---- upstream to client (ResponseForwarder does the bytes) ----

    @Override
    public void upstreamRead(ByteBuf bytes) {
        request.release(); // a response byte came: no retry from here on
        response.read(bytes);
    }

    @Override
    public void upstreamReadComplete() {
        if (!over && upstream != null) {
            response.readComplete(upstream.channel());
        }
    }

    @Override
    public void upstreamInputEnded() {
        upstreamEnded(null);
    }

    @Override
    public void upstreamClosed(Throwable cause) {
        upstreamEnded(cause);
    }

    /** The app's side ended: that ends a response framed by the close; any other response is cut short. */
    private void upstreamEnded(Throwable cause) {
        if (over) {
            return;
        }
        if (response.upstreamEnded()) {
            responseEnded(false);
        } else {
            upstreamFailed(cause);
        }
    }

    long coldStartMillis() {
        return coldStartMillis;
    }

    /** Decided when the final response head goes out: whether the client connection closes after it. */
    boolean clientClosesAfter(boolean responseUntilClose) {
        closeAfter = responseUntilClose || !request.done() || requests.closesAfterRequest();
        return closeAfter;
    }

    void responseHead(int status) {
        record.status = status;
    }

    void switchedProtocols(ByteBuf fromUpstream) {
        over = true;
        UpstreamConnection connection = upstream;
        InstanceLease tunnelLease = lease;
        upstream = null;
        lease = null;
        connection.detach();
        record.out += response.bytesOut();
        requests.toTunnel(connection.channel(), tunnelLease, fromUpstream);
    }

    void malformedResponse(String reason) {
        String what = record.upstream() + " sent a malformed response: " + reason;
        if (response.headWritten()) {
            log.warn("{} (host {}); closing the client connection", what, head.host());
            cut(RequestRecord.UPSTREAM_FAILED);
        } else {
            fail(ClientError.BAD_GATEWAY, what);
        }
    }

    // ---- endings ----

    private void upstreamFailed(Throwable cause) {
        UpstreamConnection failed = upstream;
        upstream = null;
        failed.release(false, 0);
        if (!response.anyByte() && failed.reused() && !retried && request.canResend()) {
            // The app closed an idle connection just as it was reused: send the request again on a new one.
            retried = true;
            log.debug("Reused connection to {} failed before answering ({}); retrying once", record.upstream(),
                    cause == null ? "closed" : cause.toString());
            InstanceLease held = lease;
            lease = null;
            request.unsent();
            acquisition.reconnect(held);
            return;
        }
        if (response.headWritten()) {
            log.debug("{} failed during a response ({})", record.upstream(),
                    cause == null ? "closed" : cause.toString());
            cut(RequestRecord.UPSTREAM_FAILED);
            return;
        }
        String why = cause == null ? "closed the connection" : cause instanceof IOException ? cause.getMessage()
                : cause.toString();
        fail(ClientError.BAD_GATEWAY, record.upstream() + " failed before answering: " + why);
    }

    /** The response ended: its connection goes back to the pool when both sides framed cleanly. */
    void responseEnded(boolean reusable) {
        over = true;
        long now = System.nanoTime(); // one clock read for the record, the pool and the keep-alive timer
        record.upstreamEndNanos = now;
        record.out += response.bytesOut();
        upstream.release(reusable && request.done(), now);
        upstream = null;
        lease.touch();
        releaseLease();
        request.release();
        client.flush();
        requests.exchangeEnded(!closeAfter, now);
    }

    /** cless answers itself (the response has not begun) and closes the client connection. */
    private void fail(ClientError error, String reason) {
        stop();
        requests.refuse(error, reason);
    }

    private void failRequest(ClientError error, String reason) {
        if (response.headWritten()) {
            log.info("{} {} for host {}: {} (the response had begun; closing)", error.status(), error.reasonPhrase(),
                    head.host(), reason);
            cut(RequestRecord.ERROR);
        } else {
            fail(error, reason);
        }
    }

    /** The response had begun and cannot be finished: the client connection closes. */
    private void cut(String outcome) {
        record.out += response.bytesOut();
        stop();
        record.ended(outcome);
        requests.exchangeCut();
    }

    /** The client went away (or its connection failed): give everything up. */
    void clientClosed() {
        if (!over) {
            stop();
            record.ended(RequestRecord.ABORTED);
        }
    }

    /**
     * The client sent its FIN. While the request waits for its lease (a cold start, the queue), that is the client
     * leaving: its place is given up, as Go's server and Knative's activator see it. Later it only means that no
     * further request comes; a body cut short is refused.
     */
    void clientInputEnded() {
        if (over) {
            return;
        }
        if (acquisition.waiting()) {
            clientClosed();
            requests.exchangeCut();
        } else if (request.sent() && !request.done()) {
            failRequest(ClientError.BAD_REQUEST, "the client ended its side before the request body was complete");
        }
    }

    private void stop() {
        over = true;
        acquisition.cancel();
        if (upstream != null) {
            upstream.release(false, 0);
            upstream = null;
        }
        releaseLease();
        request.release();
        response.release();
    }

    private void releaseLease() {
        if (lease != null) {
            lease.release();
            lease = null;
        }
    }
}
