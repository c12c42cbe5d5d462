package cloud.cless.core.instance;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

/** One connection waiting for an instance: a cold start in flight, or room at {@code max_instances}. */
final class Waiter {
    final EventLoop loop;
    final Promise<InstanceLease> promise;
    /** Set while the waiter sits in a service's queue. */
    volatile ScheduledFuture<?> queueTimeout;
    /** {@link System#nanoTime()} when the waiter joined the queue; 0 when it never queued. */
    volatile long queuedAtNanos;

    Waiter(EventLoop loop) {
        this.loop = loop;
        this.promise = loop.newPromise();
    }

    void cancelQueueTimeout() {
        ScheduledFuture<?> timeout = queueTimeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
