package cloud.cless.core.instance;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out, without blocking, when the app in a freshly started container answers HTTP on its host port.
 *
 * <p>A bare TCP connect proves nothing: Docker's userland proxy accepts on the published port before the app
 * listens and resets the connection afterwards. So every attempt sends a small {@code GET} and counts the
 * instance ready on the first response bytes (any status without a readiness path; 2xx/3xx with one). A reset,
 * a close without bytes, a refused connect or an attempt that hangs means "not yet": the probe retries, first
 * within 2 ms, backing off to 5 ms, until its timeout.
 */
public final class ReadinessProbe {
    private static final Logger log = LoggerFactory.getLogger(ReadinessProbe.class);

    static final long FIRST_RETRY_MILLIS = 2;
    /**
     * Low, because a cold start should end within a few milliseconds of the app answering (on average half this
     * interval after it); an attempt that is turned away costs one refused or reset loopback connection, a couple
     * of hundred in a 300 ms cold start.
     */
    static final long MAX_RETRY_MILLIS = 5;
    /** Enough of the response to read {@code HTTP/1.1 200}. */
    private static final int STATUS_LINE_PREFIX = 12;

    private final ChannelFactory<? extends Channel> channelFactory;
    private final Duration attemptTimeout;

    /**
     * @param channelFactory makes client socket channels matching the event loops' transport
     * @param attemptTimeout bound on one attempt's connect and on the wait for its first response bytes
     */
    public ReadinessProbe(ChannelFactory<? extends Channel> channelFactory, Duration attemptTimeout) {
        this.channelFactory = Objects.requireNonNull(channelFactory, "channelFactory");
        if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("attemptTimeout must be positive: " + attemptTimeout);
        }
        this.attemptTimeout = attemptTimeout;
    }

    /** A probe whose attempts each give up after 2 seconds. */
    public ReadinessProbe(ChannelFactory<? extends Channel> channelFactory) {
        this(channelFactory, Duration.ofSeconds(2));
    }

    /**
     * Probes {@code target} on {@code loop} until it answers or {@code timeout} passes. The future completes on
     * {@code loop}: successfully when ready, or with a {@link TimeoutException}. Cancelling it stops the probe.
     *
     * @param readinessPath the path to ask for, or null for {@code /} with any status counting as ready
     */
    public Future<Void> probe(EventLoop loop, InetSocketAddress target, String readinessPath, Duration timeout) {
        Promise<Void> promise = loop.newPromise();
        Run run = new Run(loop, target, readinessPath, timeout, promise);
        if (loop.inEventLoop()) {
            run.begin();
        } else {
            loop.execute(run::begin);
        }
        return promise;
    }

    static String requestFor(String readinessPath) {
        String path = readinessPath == null || readinessPath.isEmpty() ? "/"
                : readinessPath.startsWith("/") ? readinessPath : "/" + readinessPath;
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cless-readiness\r\n"
                + "Connection: close\r\n\r\n";
    }

    /**
     * The verdict on the first bytes of a response when a readiness path is set: {@code 1} ready (2xx/3xx),
     * {@code 0} not ready, {@code -1} more bytes needed.
     */
    static int statusVerdict(byte[] head, int length, boolean complete) {
        String text = new String(head, 0, length, StandardCharsets.US_ASCII);
        if (!"HTTP/".startsWith(text.substring(0, Math.min(5, text.length())))) {
            return 0;
        }
        int space = text.indexOf(' ');
        if (space < 0 || text.length() < space + 4) {
            return complete ? 0 : -1;
        }
        char hundreds = text.charAt(space + 1);
        if (!Character.isDigit(text.charAt(space + 2)) || !Character.isDigit(text.charAt(space + 3))) {
            return 0;
        }
        return hundreds == '2' || hundreds == '3' ? 1 : 0;
    }

    /** One probe of one target: attempts follow each other on the loop; all state is confined to it. */
    private final class Run {
        private final EventLoop loop;
        private final InetSocketAddress target;
        private final String readinessPath;
        private final String request;
        private final Duration timeout;
        private final long deadlineNanos;
        private final Promise<Void> promise;
        private long nextDelayMillis = FIRST_RETRY_MILLIS;
        private int attempts;
        private String lastReason = "no attempt made";
        private Attempt current;
        private ScheduledFuture<?> deadlineTask;

        Run(EventLoop loop, InetSocketAddress target, String readinessPath, Duration timeout,
            Promise<Void> promise) {
            this.loop = loop;
            this.target = target;
            this.readinessPath = readinessPath;
            this.request = requestFor(readinessPath);
            this.timeout = timeout;
            this.deadlineNanos = System.nanoTime() + timeout.toNanos();
            this.promise = promise;
        }

        void begin() {
            // Completion from any side (ready, deadline, cancel) tears down whatever is still running.
            promise.addListener(f -> finish());
            deadlineTask = loop.schedule(this::expire, Math.max(0, deadlineNanos - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            attempt();
        }

        private void attempt() {
            if (promise.isDone()) {
                return;
            }
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (remainingMillis <= 0) {
                expire();
                return;
            }
            attempts++;
            long attemptMillis = Math.max(1, Math.min(attemptTimeout.toMillis(), remainingMillis));
            Attempt attempt = new Attempt(this, attemptMillis);
            current = attempt;
            ChannelFuture connect = new Bootstrap()
                    .group(loop)
                    .channelFactory(channelFactory)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, attemptMillis))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(attempt)
                    .connect(target);
            attempt.channel = connect.channel();
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    attempt.notYet("connect failed: " + f.cause());
                }
            });
        }

        void ready(Attempt attempt) {
            if (attempt == current) {
                current = null;
                log.debug("{} ready after {} attempt(s)", target, attempts);
                promise.trySuccess(null);
            }
        }

        void notYet(Attempt attempt, String reason) {
            if (attempt != current) {
                return;
            }
            current = null;
            lastReason = reason;
            if (promise.isDone()) {
                return;
            }
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            long delay = Math.min(nextDelayMillis, Math.max(0, remainingMillis));
            nextDelayMillis = Math.min(nextDelayMillis * 2, MAX_RETRY_MILLIS);
            loop.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
        }

        private void expire() {
            promise.tryFailure(new TimeoutException(target + " not ready within " + timeout.toMillis() + " ms after "
                    + attempts + " attempt(s); last: " + lastReason));
        }

        private void finish() {
            if (deadlineTask != null) {
                deadlineTask.cancel(false);
            }
            Attempt attempt = current;
            current = null;
            if (attempt != null) {
                attempt.close();
            }
        }
    }

    /** One connection of a probe: send the request, judge the first response bytes, close. */
    private final class Attempt extends ChannelInboundHandlerAdapter {
        private final Run run;
        private final long timeoutMillis;
        private final byte[] head = new byte[STATUS_LINE_PREFIX];
        private int headLength;
        private boolean settled;
        private Channel channel;
        private ScheduledFuture<?> responseTimeout;

        Attempt(Run run, long timeoutMillis) {
            this.run = run;
            this.timeoutMillis = timeoutMillis;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf buf = ctx.alloc().buffer(run.request.length());
            buf.writeCharSequence(run.request, StandardCharsets.US_ASCII);
            ctx.writeAndFlush(buf).addListener(f -> {
                if (!f.isSuccess()) {
                    notYet("request not sent: " + f.cause());
                }
            });
            // The connect timeout does not cover a peer that accepts and then says nothing.
            responseTimeout = ctx.executor().schedule(
                    () -> notYet("no response within " + timeoutMillis + " ms"), timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (settled || !(msg instanceof ByteBuf buf) || !buf.isReadable()) {
                    return;
                }
                if (run.readinessPath == null) {
                    settleReady();
                    return;
                }
                int n = Math.min(buf.readableBytes(), head.length - headLength);
                buf.getBytes(buf.readerIndex(), head, headLength, n);
                headLength += n;
                judge(headLength == head.length);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!settled && headLength > 0) {
                judge(true);
            }
            notYet("closed without a response");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            notYet(cause.toString());
        }

        private void judge(boolean complete) {
            int verdict = statusVerdict(head, headLength, complete);
            if (verdict == 1) {
                settleReady();
            } else if (verdict == 0) {
                notYet("answered " + new String(head, 0, headLength, StandardCharsets.US_ASCII).trim()
                        + " on " + run.readinessPath);
            }
        }

        private void settleReady() {
            if (settled) {
                return;
            }
            settled = true;
            close();
            run.ready(this);
        }

        void notYet(String reason) {
            if (settled) {
                return;
            }
            settled = true;
            close();
            run.notYet(this, reason);
        }

        void close() {
            if (responseTimeout != null) {
                responseTimeout.cancel(false);
            }
            if (channel != null) {
                channel.close();
            }
        }
    }
}
