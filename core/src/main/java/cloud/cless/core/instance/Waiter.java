package cloud.cless.core.instance;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One request waiting for an instance: one coming up (a start or a resume in flight), or room at
 * {@code max_instances}. Its promise completes on the request's event loop; cancelling it gives the place up.
 */
final class Waiter {
    final EventLoop loop;
    final Promise<InstanceLease> promise;
    /** Set while the waiter sits in a service's queue. */
    volatile ScheduledFuture<?> queueTimeout;
    /** {@link System#nanoTime()} when it joined the queue; 0 when it never queued. Guarded by the pool's lock. */
    long queuedAtNanos;
    /** {@link System#nanoTime()} when it joined an instance coming up. Guarded by the pool's lock. */
    long joinedAtNanos;

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
