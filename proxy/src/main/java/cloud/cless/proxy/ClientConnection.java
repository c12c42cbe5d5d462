package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.metrics.RequestMeters;
import cloud.cless.proxy.http1.MessageBody;
import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First step, and the life of a client connection: reads each request head in turn (bounded by --max-header-size
 * and --header-timeout), has {@link Router} route it, and runs its {@link Exchange}; between requests the
 * connection idles at most --keepalive-timeout. Requests are answered in order: the next head is parsed only once
 * the previous response ended. Auto-read is off: reads are asked for while a head or a body is wanted, and while
 * a response streams (to notice the client leaving and to hold a pipelined head, up to a bound), never while a
 * request waits for its lease.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements ClientTimeouts.Expiry {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    private static final int READING = 0;
    private static final int EXCHANGING = 1;
    private static final int DISCARDING = 2;
    private static final int CLOSING = 3;

    private final RequestPath path;
    private final RequestHead head = new RequestHead();
    private final MessageBody body;
    private final ResponseForwarder response;
    private final RequestRecord record = new RequestRecord();
    private final ConnectionMeters meters;
    private ChannelHandlerContext ctx;
    private ClientTimeouts timeouts;
    private ClientAddress address;
    private ByteBuf inbound;
    private int state;
    private Exchange exchange;
    private boolean started;
    private boolean parsing;
    private boolean inReadLoop;
    private boolean flushPending;
    private boolean recordOpen;
    private boolean draining;
    private boolean inputEnded;
    private long headStartNanos;

    ClientConnection(RequestPath path) {
        this.path = path;
        this.body = new MessageBody(path.config().maxHeaderSize());
        this.response = new ResponseForwarder(path.responseParser(), path.config().maxHeaderSize(), this);
        this.meters = new ConnectionMeters(path.metrics());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        address = ClientAddress.of(ctx.channel(), path.config().trustedProxies());
        timeouts = new ClientTimeouts(ctx.channel().eventLoop(), path.config().headerTimeout().toNanos(),
                path.config().keepAliveTimeout().toNanos(), this);
        timeouts.header();
        ctx.read();
    }

    // ---- reading ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inReadLoop = true;
        if (state == CLOSING) {
            in.release();
            return;
        }
        if (inbound == null) {
            inbound = in;
        } else {
            inbound = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), inbound, in);
        }
        switch (state) {
            case READING -> readHeads();
            case EXCHANGING -> exchange.clientBytes();
            case DISCARDING -> discard();
            default -> {
            }
        }
        dropEmptyInbound();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inReadLoop = false;
        if (exchange != null) {
            exchange.clientReadComplete();
        }
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        if (wantsRead()) {
            ctx.read();
        }
    }

    private boolean wantsRead() {
        return switch (state) {
            case READING, DISCARDING -> !inputEnded;
            case EXCHANGING -> exchange.wantsClientBytes()
                    || exchange.requestSent() && !inputEnded && buffered() < path.config().maxHeaderSize();
            default -> false;
        };
    }

    /** Asks for the next read when one is wanted (inside a read loop, its end asks). */
    void requestRead() {
        if (!inReadLoop && wantsRead()) {
            ctx.read();
        }
    }

    /** Parses the heads waiting in the inbound buffer, one request at a time. */
    private void readHeads() {
        if (parsing) {
            return; // a request answered at once returns here: the loop below goes on
        }
        parsing = true;
        try {
            while (state == READING && inbound != null && inbound.isReadable()) {
                if (headStartNanos == 0) {
                    headStartNanos = System.nanoTime();
                }
                Verdict verdict = path.requestParser().parse(inbound, head);
                switch (verdict) {
                    case INCOMPLETE -> {
                        if (inbound.isReadable()) {
                            timeouts.header();
                        }
                        return;
                    }
                    case COMPLETE -> {
                        timeouts.none();
                        request();
                    }
                    case TOO_LARGE -> refuseHead(ClientError.HEADER_FIELDS_TOO_LARGE);
                    case NOT_IMPLEMENTED -> refuseHead(ClientError.NOT_IMPLEMENTED);
                    default -> refuseHead(ClientError.BAD_REQUEST);
                }
            }
        } finally {
            parsing = false;
        }
        if (state == READING && inputEnded && buffered() == 0) {
            close();
        }
    }

    private void request() {
        record.start(headStartNanos);
        recordOpen = true;
        headStartNanos = 0;
        record.method = head.method();
        record.host = head.host();
        record.in = head.length();
        if (AccessLog.enabled()) {
            record.path = head.path(inbound, inbound.readerIndex());
        }
        if (head.chunked()) {
            body.chunked();
        } else if (head.contentLength() > 0) {
            body.length(head.contentLength());
        } else {
            body.none();
        }
        path.router().route(this, head);
    }

    // ---- what the router decided ----

    /** The request goes to {@code exchange}, whose head is {@code upstreamHead}; the client's head is consumed. */
    void exchange(Exchange next) {
        state = EXCHANGING;
        exchange = next;
        next.start();
    }

    /** The request is for the admin API: the connection is the admin pipeline's from now on, head included. */
    void toAdmin() {
        recordOpen = false;
        state = CLOSING;
        timeouts.cancel();
        ByteBuf bytes = takeAllInbound();
        AdminHandover.install(ctx, this, path.adminRoute(), bytes);
    }

    /**
     * cless answers this request itself. The connection carries on when the error allows it and the request was
     * framed cleanly (its body, if any, is read and dropped first); otherwise it closes after the answer.
     */
    void answer(ClientError error, String reason, boolean quiet) {
        exchange = null;
        record.status = error.status();
        record.ended(RequestRecord.ERROR);
        path.errors().record(error, head.host(), record.service, ctx.channel().remoteAddress(), reason, quiet);
        boolean keep = error.keepsConnection() && head.persistent() && !(head.expectContinue() && head.hasBody())
                && !draining && !inputEnded;
        if (!keep) {
            closeWith(error, reason);
            return;
        }
        ByteBuf answer = path.errors().response(ctx.alloc(), error, reason, false);
        record.out += answer.readableBytes();
        write(answer);
        flushSoon();
        finishRecord();
        if (body.done()) {
            state = READING;
            nextRequest();
        } else {
            state = DISCARDING;
            discard();
        }
    }

    /** A head (or body) cless refuses: the error closes the connection. */
    void refuse(ClientError error, String reason) {
        exchange = null;
        if (!recordOpen) {
            record.start(headStartNanos == 0 ? System.nanoTime() : headStartNanos);
            recordOpen = true;
        }
        record.status = error.status();
        record.ended(RequestRecord.ERROR);
        path.errors().record(error, head.host(), record.service, ctx.channel().remoteAddress(), reason, false);
        closeWith(error, reason);
    }

    private void refuseHead(ClientError error) {
        refuse(error, head.error());
    }

    private void closeWith(ClientError error, String reason) {
        state = CLOSING;
        ByteBuf answer = path.errors().response(ctx.alloc(), error, reason, true);
        record.out += answer.readableBytes();
        finishRecord();
        releaseInbound();
        timeouts.cancel();
        path.errors().sendAndClose(ctx.channel(), answer);
    }

    private void discard() {
        int n = body.take(inbound == null ? io.netty.buffer.Unpooled.EMPTY_BUFFER : inbound);
        if (n < 0) {
            refuse(ClientError.BAD_REQUEST, "malformed chunked request body: " + body.error());
            return;
        }
        if (n > 0) {
            inbound.skipBytes(n);
        }
        if (body.done()) {
            state = READING;
            nextRequest();
        }
    }

    // ---- the end of an exchange ----

    /** The response ended; {@code keepAlive}: the connection goes on with the next request. */
    void exchangeEnded(boolean keepAlive) {
        exchange = null;
        finishRecord();
        if (!body.done() && !inputEnded) {
            // The app answered before the request body was all sent: the client may still be sending it, and a
            // close with unread bytes would reset the connection before the client reads the response.
            state = CLOSING;
            timeouts.cancel();
            releaseInbound();
            path.errors().sendAndClose(ctx.channel(), io.netty.buffer.Unpooled.EMPTY_BUFFER);
            return;
        }
        if (!keepAlive || draining) {
            close();
            return;
        }
        state = READING;
        nextRequest();
    }

    /** The response began but cannot end cleanly: close the connection after what was written. */
    void exchangeCut() {
        exchange = null;
        finishRecord();
        close();
    }

    private void nextRequest() {
        if (state != READING) {
            requestRead();
            return;
        }
        timeouts.keepAlive();
        readHeads();
        if (state == READING || state == DISCARDING) {
            requestRead();
        }
    }

    /** The app answered 101: the connection becomes a byte tunnel, which holds the lease until it closes. */
    void toTunnel(Channel upstream, InstanceLease lease, ByteBuf fromUpstream) {
        exchange = null;
        state = CLOSING;
        timeouts.cancel();
        ctx.flush();
        Tunnel.start(ctx, upstream, lease, takeAllInbound(), fromUpstream,
                (in, out) -> {
                    record.in += in;
                    record.out += out;
                    record.upstreamEndNanos = System.nanoTime();
                    record.ended(RequestRecord.UPGRADED);
                    finishRecord();
                });
    }

    private void finishRecord() {
        if (!recordOpen) {
            return;
        }
        recordOpen = false;
        long now = System.nanoTime();
        meters.answered(record, now);
        AccessLog.write(ctx.channel().remoteAddress(), record, now);
    }

    // ---- events ----

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.clientWritable();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            switch (state) {
                case READING -> {
                    if (buffered() == 0) {
                        close();
                    } else if (!parsing) {
                        refuse(ClientError.BAD_REQUEST, "connection half-closed before the request head was complete");
                    }
                }
                case EXCHANGING -> exchange.clientInputEnded();
                case DISCARDING -> close();
                default -> {
                }
            }
        } else if (evt == ProxyServer.DRAIN) {
            draining = true;
            if (state == READING && buffered() == 0) {
                close();
            }
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void timedOut(int kind) {
        if (state != READING) {
            return;
        }
        if (kind == ClientTimeouts.HEADER) {
            refuse(ClientError.REQUEST_TIMEOUT, "request head not complete within "
                    + path.config().headerTimeout().toMillis() + " ms");
        } else {
            log.debug("Closing {} after {} ms idle", ctx.channel().remoteAddress(),
                    path.config().keepAliveTimeout().toMillis());
            close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            Exchange current = exchange;
            exchange = null;
            current.clientClosed();
        }
        finishRecord();
        ended();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("Client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Unexpected error on client connection {}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ended();
    }

    private void ended() {
        releaseInbound();
        if (timeouts != null) {
            timeouts.cancel();
        }
        meters.closed();
    }

    // ---- what the steps share ----

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

    ClientAddress address() {
        return address;
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    RequestMeters requestMeters() {
        return meters.requests(record.service);
    }

    /** Counts the connection as one of {@code service}'s (once per service) and the request as in flight. */
    void routed(String service) {
        record.service = service;
        meters.routed(service);
    }

    /** The connection will close after this request (the client asked, or it ended its side, or cless drains). */
    boolean closesAfterRequest() {
        return !head.persistent() || inputEnded || draining;
    }

    /** The bytes read from the client and not yet forwarded or parsed; null when there are none. */
    ByteBuf inbound() {
        return inbound;
    }

    /** The first {@code n} inbound bytes, now the caller's. */
    ByteBuf takeInbound(int n) {
        if (n == inbound.readableBytes()) {
            ByteBuf all = inbound;
            inbound = null;
            return all;
        }
        return inbound.readRetainedSlice(n);
    }

    private ByteBuf takeAllInbound() {
        ByteBuf all = inbound != null && inbound.isReadable() ? inbound : null;
        if (all == null) {
            releaseInbound();
        }
        inbound = null;
        return all;
    }

    private int buffered() {
        return inbound == null ? 0 : inbound.readableBytes();
    }

    private void dropEmptyInbound() {
        if (inbound != null && !inbound.isReadable()) {
            releaseInbound();
        }
    }

    private void releaseInbound() {
        if (inbound != null) {
            inbound.release();
            inbound = null;
        }
    }

    void write(ByteBuf bytes) {
        ctx.write(bytes, ctx.voidPromise());
    }

    void flush() {
        flushPending = false;
        ctx.flush();
    }

    private void flushSoon() {
        if (inReadLoop) {
            flushPending = true;
        } else {
            ctx.flush();
        }
    }

    boolean writable() {
        return ctx.channel().isWritable();
    }

    /** Closes after what was written is flushed. */
    void close() {
        state = CLOSING;
        timeouts.cancel();
        releaseInbound();
        Channel channel = ctx.channel();
        if (channel.isActive()) {
            channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }
}
