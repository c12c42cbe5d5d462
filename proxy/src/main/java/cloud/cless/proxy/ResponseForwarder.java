package cloud.cless.proxy;

import cloud.cless.proxy.http1.MessageBody;
import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.ResponseHead;
import cloud.cless.proxy.http1.ResponseHeadParser;
import cloud.cless.proxy.http1.ResponseHeadWriter;
import cloud.cless.proxy.http1.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * The response side of an exchange: reads the app's response head (and any 1xx before it), writes it to the client
 * less its hop-by-hop lines, then streams the body by its framing (length, chunks, or up to the close) as the
 * bytes came. Bytes the app sends after the end of its response make its connection unfit for reuse. Writes
 * happen as bytes arrive, one flush per upstream read loop; the upstream is read only while the client can take
 * more. One per client connection, reused by each exchange in turn.
 */
final class ResponseForwarder {
    private final ResponseHeadParser parser;
    private final ResponseHead head = new ResponseHead();
    private final MessageBody body;
    private final ClientConnection client;
    private final RequestHead request;
    private Exchange exchange;
    private ByteBuf pending;
    private boolean readingHead;
    private boolean headWritten;
    private boolean anyByte;
    private boolean ended;
    private boolean wrote;
    private long out;

    ResponseForwarder(ResponseHeadParser parser, int maxTrailerBytes, ClientRequests requests) {
        this.parser = parser;
        this.body = new MessageBody(maxTrailerBytes);
        this.client = requests.connection();
        this.request = requests.head();
    }

    void begin(Exchange exchange) {
        release();
        head.reset(); // no scan position left from a response cut short
        this.exchange = exchange;
        readingHead = true;
        headWritten = false;
        anyByte = false;
        ended = false;
        wrote = false;
        out = 0;
    }

    /** Whether the app has sent any byte of a response yet (until then, a failed reused connection is retried). */
    boolean anyByte() {
        return anyByte;
    }

    /** Whether the final response head went to the client (from then on, errors can only cut the connection). */
    boolean headWritten() {
        return headWritten;
    }

    boolean ended() {
        return ended;
    }

    int status() {
        return head.status();
    }

    long bytesOut() {
        return out;
    }

    void read(ByteBuf in) {
        anyByte = true;
        if (ended) {
            in.release();
            return;
        }
        ByteBuf buf = in;
        int headPrefix = 0;
        while (readingHead) {
            if (pending != null) {
                buf = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(client.alloc(), pending, buf);
                pending = null;
            }
            Verdict verdict = parser.parse(buf, head);
            if (verdict == Verdict.INCOMPLETE) {
                pending = buf;
                return;
            }
            if (verdict != Verdict.COMPLETE) {
                buf.release();
                exchange.malformedResponse(head.error());
                return;
            }
            if (head.interim()) {
                // 100 Continue and friends pass on, except to an HTTP/1.0 client (RFC 9110 15.2).
                if (request.http11()) {
                    write(buf.readRetainedSlice(head.length()));
                } else {
                    buf.skipBytes(head.length());
                }
                if (!buf.isReadable()) {
                    buf.release();
                    return;
                }
                continue;
            }
            if (head.status() == 101) {
                switched(buf);
                return;
            }
            headPrefix = finalHead(buf);
        }
        forwardBody(buf, headPrefix);
    }

    /** Writes the final head (rewritten, or later as it came) and sets up the body; the bytes of an unchanged head. */
    private int finalHead(ByteBuf buf) {
        switch (head.body(request.headMethod())) {
            case ResponseHead.LENGTH -> body.length(head.contentLength());
            case ResponseHead.CHUNKED -> body.chunked();
            case ResponseHead.UNTIL_CLOSE -> body.untilClose();
            default -> body.none();
        }
        boolean close = exchange.clientClosesAfter(body.untilCloseFramed());
        boolean http11 = request.http11();
        int option = close ? (http11 ? ResponseHeadWriter.CLOSE : ResponseHeadWriter.KEEP_SILENT)
                : (http11 ? ResponseHeadWriter.KEEP_SILENT : ResponseHeadWriter.KEEP_ALIVE);
        readingHead = false;
        headWritten = true;
        exchange.responseHead(head.status());
        int length = ResponseHeadWriter.rewriteInPlace(buf, head, exchange.coldStartMillis(), option);
        if (length >= 0) {
            buf.skipBytes(length);
            return length; // goes out with the body bytes that follow it, in one buffer
        }
        write(ResponseHeadWriter.write(buf, buf.readerIndex(), head, exchange.coldStartMillis(), option,
                client.alloc()));
        buf.skipBytes(head.length());
        return 0;
    }

    private void forwardBody(ByteBuf buf, int headPrefix) {
        int n = body.take(buf);
        if (n < 0) {
            buf.release();
            exchange.malformedResponse(body.error());
            return;
        }
        if (n == buf.readableBytes()) {
            buf.readerIndex(buf.readerIndex() - headPrefix);
            if (buf.isReadable()) {
                write(buf);
            } else {
                buf.release();
            }
        } else {
            int from = buf.readerIndex() - headPrefix;
            ByteBuf part = buf.retainedSlice(from, n + headPrefix);
            buf.skipBytes(n);
            write(part);
            if (body.done()) {
                buf.release(); // bytes past the end of the response: the connection cannot be reused
                end(false);
                return;
            }
            buf.release();
        }
        if (body.done()) {
            end(head.persistent() && !body.untilCloseFramed());
        }
    }

    private void switched(ByteBuf buf) {
        if (!request.upgrade()) {
            buf.release();
            exchange.malformedResponse("101 response to a request that did not ask to upgrade");
            return;
        }
        ByteBuf response = ResponseHeadWriter.write(buf, buf.readerIndex(), head, exchange.coldStartMillis(),
                ResponseHeadWriter.KEEP_SILENT, client.alloc());
        if (response == null) {
            response = buf.readRetainedSlice(head.length());
        } else {
            buf.skipBytes(head.length());
        }
        readingHead = false;
        headWritten = true;
        ended = true;
        exchange.responseHead(101);
        write(response);
        ByteBuf rest = buf.isReadable() ? buf : null;
        if (rest == null) {
            buf.release();
        }
        exchange.switchedProtocols(rest);
    }

    private void end(boolean reusable) {
        ended = true;
        exchange.responseEnded(reusable);
    }

    private void write(ByteBuf bytes) {
        out += bytes.readableBytes();
        wrote = true;
        client.write(bytes);
    }

    /** End of an upstream read loop: one flush, and the next read if the client keeps up. */
    void readComplete(Channel upstream) {
        if (wrote) {
            wrote = false;
            client.flush();
        }
        if (!ended && client.writable()) {
            upstream.read();
        }
    }

    /** The client drained below its low water mark: the app may send more. */
    void clientWritable(Channel upstream) {
        if (!ended) {
            upstream.read();
        }
    }

    /** The app ended its side; true when that ends a response framed by the close. */
    boolean upstreamEnded() {
        if (!readingHead && !ended && body.untilCloseFramed()) {
            body.closed();
            if (wrote) {
                wrote = false;
                client.flush();
            }
            ended = true;
            return true;
        }
        return false;
    }

    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
