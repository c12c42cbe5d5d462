package cloud.cless.proxy;

import cloud.cless.proxy.http1.MessageBody;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * The request side of an exchange: the rewritten head, then the body by its framing as the client's bytes arrive,
 * each read written on at once and flushed once per client read loop. The client is read only while the upstream
 * takes more. Keeps the head of a request that can be sent again until the first response byte.
 */
final class RequestForwarder {
    private final ClientRequests client;
    private final InboundBytes inbound;
    private final MessageBody body;
    private final long maxBodySize;
    private final boolean replayable;
    private ByteBuf head;
    private Channel upstream;
    private boolean flushPending;
    private ClientError error;
    private String errorReason;

    /** {@code replayable}: the request has no body, or all of it is inside {@code head}. */
    RequestForwarder(ClientRequests client, ByteBuf head, boolean replayable, long maxBodySize) {
        this.client = client;
        this.inbound = client.connection().inbound();
        this.body = client.requestBody();
        this.head = head;
        this.replayable = replayable;
        this.maxBodySize = maxBodySize;
    }

    /**
     * Writes the head and the body bytes in hand to {@code channel} and flushes; false when the body is malformed
     * or too large ({@link #error()}). On a reused connection a replayable head is kept for one retry.
     */
    boolean send(Channel channel, boolean reusedConnection) {
        upstream = channel;
        if (reusedConnection && replayable) {
            channel.write(head.retainedDuplicate(), channel.voidPromise());
        } else {
            channel.write(head, channel.voidPromise());
            head = null;
        }
        boolean ok = forward();
        flushPending = false;
        channel.flush();
        return ok;
    }

    /** Whether the request may be sent once more on a new connection: replayable and no response byte seen. */
    boolean canResend() {
        return head != null;
    }

    /** Forwards what the client sent since; false when the body is malformed or too large ({@link #error()}). */
    boolean forward() {
        ByteBuf in = inbound.buffer();
        if (upstream == null || body.done() || in == null) {
            return true;
        }
        int n = body.take(in);
        if (n < 0) {
            return refuse(ClientError.BAD_REQUEST, "malformed chunked request body: " + body.error());
        }
        if (maxBodySize > 0 && body.bytes() > maxBodySize) {
            return refuse(ClientError.CONTENT_TOO_LARGE, "request body larger than " + maxBodySize + " bytes");
        }
        if (n > 0) {
            client.record().in += n;
            upstream.write(inbound.take(n), upstream.voidPromise());
            flushPending = true;
        }
        return true;
    }

    boolean done() {
        return body.done();
    }

    boolean sent() {
        return upstream != null;
    }

    /** The body is due, and the upstream takes more. */
    boolean wantsBytes() {
        return upstream != null && !body.done() && upstream.isWritable();
    }

    /** End of a client read loop: one flush. */
    void readComplete() {
        if (flushPending && upstream != null) {
            flushPending = false;
            upstream.flush();
        }
    }

    /** The connection the request went on failed: nothing was sent as far as the next attempt goes. */
    void unsent() {
        upstream = null;
        flushPending = false;
    }

    ClientError error() {
        return error;
    }

    String errorReason() {
        return errorReason;
    }

    private boolean refuse(ClientError error, String reason) {
        this.error = error;
        this.errorReason = reason;
        return false;
    }

    /** A response byte arrived (no retry from here on), or the exchange ended. */
    void release() {
        if (head != null) {
            head.release();
            head = null;
        }
    }
}
