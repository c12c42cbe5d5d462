package cloud.cless.proxy;

import cloud.cless.core.metrics.ClessMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a client with one of cless's own errors: logs it once, writes a plain-text response with
 * {@code Connection: close}, then closes the connection gracefully.
 *
 * <p>Closing a socket that still holds unread request bytes makes the kernel send a reset, which can destroy the
 * response before the client reads it. So after the response the output is shut down and whatever the client
 * still sends is read and dropped (up to a bound, for at most the linger time) before the close.
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
     * Sends {@code error} and closes. Every handler in the channel's pipeline is removed first (each releases
     * what it holds), so the caller must not use its context afterwards.
     *
     * @param host    the requested host for the log, or null when not known yet
     * @param message the reason, shown to the client and logged
     */
    public void send(Channel channel, ClientError error, String host, String message) {
        send(channel, error, host, message, false);
    }

    /**
     * As {@link #send(Channel, ClientError, String, String)}, for a failure that was logged where it happened, once
     * for every request it affects (a failed cold start): this request's line is at debug only.
     */
    public void sendLoggedElsewhere(Channel channel, ClientError error, String host, String message) {
        send(channel, error, host, message, true);
    }

    private void send(Channel channel, ClientError error, String host, String message, boolean loggedElsewhere) {
        ProxiedConnection connection = ProxiedConnection.of(channel);
        String service = null;
        if (connection != null) {
            connection.answered(error, host);
            service = connection.service();
        }
        metrics.clientError(error.status(), service);
        if (loggedElsewhere) {
            log.debug("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host),
                    channel.remoteAddress(), message);
        } else if (error.status() >= 500) {
            log.warn("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host),
                    channel.remoteAddress(), message);
        } else {
            log.info("{} {} for host {} from {}: {}", error.status(), error.reasonPhrase(), hostForLog(host),
                    channel.remoteAddress(), message);
        }
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        while (pipeline.last() != null) {
            pipeline.removeLast();
        }
        pipeline.addLast("error", new LingeringClose(response(channel, error, message)));
    }

    private ByteBuf response(Channel channel, ClientError error, String message) {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160)
                .append("HTTP/1.1 ").append(error.status()).append(' ').append(error.reasonPhrase()).append("\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        if (error == ClientError.SERVICE_UNAVAILABLE) {
            head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf buf = channel.alloc().buffer(head.length() + body.length);
        ByteBufUtil.writeAscii(buf, head);
        buf.writeBytes(body);
        return buf;
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
