package cloud.cless.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The one timer of a client connection: --header-timeout while a head is being read, --keepalive-timeout while the
 * connection idles between requests, nothing during an exchange. Arming it only moves a deadline; the scheduled
 * task, when it fires early, schedules itself again for the deadline (as Netty's IdleStateHandler does), so a
 * keep-alive request costs no timer operation.
 */
final class ClientTimeouts implements Runnable {
    static final int NONE = 0;
    static final int HEADER = 1;
    static final int KEEP_ALIVE = 2;

    /** What a connection does when its timer runs out. */
    interface Expiry {
        void timedOut(int kind);
    }

    private final EventLoop loop;
    private final long headerNanos;
    private final long keepAliveNanos;
    private final Expiry expiry;
    private int kind;
    private long deadline;
    private ScheduledFuture<?> timer;
    private long timerAt;

    ClientTimeouts(EventLoop loop, long headerNanos, long keepAliveNanos, Expiry expiry) {
        this.loop = loop;
        this.headerNanos = headerNanos;
        this.keepAliveNanos = keepAliveNanos;
        this.expiry = expiry;
    }

    /** A head is being read: it must be complete within the header timeout (from now, if not armed already). */
    void header() {
        if (kind != HEADER) {
            arm(HEADER, System.nanoTime() + headerNanos);
        }
    }

    /** The connection idles between requests. */
    void keepAlive() {
        keepAlive(System.nanoTime());
    }

    void keepAlive(long nowNanos) {
        arm(KEEP_ALIVE, nowNanos + keepAliveNanos);
    }

    /** An exchange runs: no timeout. */
    void none() {
        kind = NONE;
    }

    void cancel() {
        kind = NONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void arm(int kind, long deadline) {
        this.kind = kind;
        this.deadline = deadline;
        if (timer == null || timerAt - deadline > 0) {
            if (timer != null) {
                timer.cancel(false);
            }
            schedule();
        }
    }

    private void schedule() {
        timerAt = deadline;
        timer = loop.schedule(this, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        timer = null;
        if (kind == NONE) {
            return;
        }
        if (deadline - System.nanoTime() > 0) {
            schedule();
            return;
        }
        int expired = kind;
        kind = NONE;
        expiry.timedOut(expired);
    }
}
