package cloud.cless.proxy;

import cloud.cless.core.metrics.ClessMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cless's own answers to a client: logs each once (INFO for 4xx, WARN for 5xx, DEBUG for a failed acquire, whose
 * cold start the lifecycle logged already), renders a plain-text response, and closes gracefully when the error
 * ends the connection.
 *
 * <p>Closing a socket that still holds unread request bytes makes the kernel send a reset, which can destroy the
 * response before the client reads it. So after a closing response the output is shut down and whatever the
 * client still sends is read and dropped (up to a bound, for at most the linger time) before the close.
 */
public final class ClientErrors {
    private static final Logger log = LoggerFactory.getLogger(ClientErrors.class);
    private static final long MAX_DISCARDED_BYTES = 1024 * 1024;

    private final Duration linger;
    private final int retryAfterSeconds;
    private final ClessMetrics metrics;

    /** {@code metrics} counts every error sent, by status and service. */
    public ClientErrors(Duration linger, int retryAfterSeconds, ClessMetrics metrics) {
        this.linger = linger;
        this.retryAfterSeconds = retryAfterSeconds;
        this.metrics = metrics;
    }

    /**
     * Logs and counts {@code error} once.
     *
     * @param host    the requested host, or null when not known
     * @param service the routed service, or null
     * @param quiet   the cause was logged where it happened (a failed cold start): DEBUG only
     */
    void record(ClientError error, String host, String service, SocketAddress client, String message, boolean quiet) {
        metrics.clientError(error.status(), service);
        if (quiet) {
            log.debug("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host), client,
                    message);
        } else if (error.status() >= 500) {
            log.warn("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host), client,
                    message);
        } else {
            log.info("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host), client,
                    message);
        }
    }

    /** The response for {@code error}: plain text, with {@code Connection: close} when {@code close}. */
    ByteBuf response(ByteBufAllocator alloc, ClientError error, String message, boolean close) {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160)
                .append("HTTP/1.1 ").append(error.status()).append(' ').append(error.reasonPhrase()).append("\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        if (close) {
            head.append("Connection: close\r\n");
        }
        if (error == ClientError.SERVICE_UNAVAILABLE) {
            head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf buf = alloc.buffer(head.length() + body.length);
        ByteBufUtil.writeAscii(buf, head);
        buf.writeBytes(body);
        return buf;
    }

    /**
     * Writes {@code response} and closes the connection gracefully. Every handler in the channel's pipeline is
     * removed first (each releases what it holds), so the caller must not use its context afterwards.
     */
    void sendAndClose(Channel channel, ByteBuf response) {
        if (!channel.isActive()) {
            response.release();
            channel.close();
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        while (pipeline.last() != null) {
            pipeline.removeLast();
        }
        pipeline.addLast("error", new LingeringClose(response));
    }

    private static String hostForLog(String host) {
        return host == null ? "(none)" : host;
    }

    /** Writes the response, shuts the output, drains the input for a while, then closes. */
    private final class LingeringClose extends ChannelInboundHandlerAdapter {
        private ByteBuf response;
        private ScheduledFuture<?> deadline;
        private long discarded;

        LingeringClose(ByteBuf response) {
            this.response = response;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ByteBuf out = response;
            response = null;
            Channel channel = ctx.channel();
            deadline = ctx.executor().schedule(() -> {
                channel.close();
            }, linger.toMillis(), TimeUnit.MILLISECONDS);
            channel.writeAndFlush(out).addListener(written -> {
                if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                    channel.close();
                    return;
                }
                duplex.shutdownOutput().addListener(shut -> {
                    if (!shut.isSuccess() || duplex.isInputShutdown()) {
                        channel.close();
                    } else {
                        channel.config().setAutoRead(true);
                    }
                });
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                discarded += buf.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (discarded > MAX_DISCARDED_BYTES) {
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            deadline.cancel(false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("Error while closing {} after an error response", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (response != null) {
                response.release();
                response = null;
            }
        }
    }
}
