package cloud.cless.core.instance;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One request waiting for an instance: one coming up (a start or a resume in flight), or room at
 * {@code max_instances}. Its promise completes on the request's event loop; cancelling it gives the place up. A
 * pool whose revision stops serving hands its waiters back to be placed again by the service's traffic now (or by
 * their tag), so a waiter remembers how it was routed.
 */
final class Waiter {
    final EventLoop loop;
    final Promise<InstanceLease> promise;
    /** The service it is for. */
    final String service;
    /** The tag whose host it came on, or null when the service's traffic chose its revision. */
    final String tag;
    /** The pool it waits in now; a client that leaves gives its place up there. */
    volatile ServicePool pool;
    /** Set while the waiter sits in a pool's queue. */
    volatile ScheduledFuture<?> queueTimeout;
    /** {@link System#nanoTime()} when it joined the queue; 0 when it never queued. Guarded by the pool's lock. */
    long queuedAtNanos;
    /** {@link System#nanoTime()} when it joined an instance coming up. Guarded by the pool's lock. */
    long joinedAtNanos;
    /** How often it was placed: bounds the moves of a request between pools that keep going. One move at a time. */
    int placements;

    Waiter(EventLoop loop, String service, String tag) {
        this.loop = loop;
        this.promise = loop.newPromise();
        this.service = service;
        this.tag = tag;
    }

    void cancelQueueTimeout() {
        ScheduledFuture<?> timeout = queueTimeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
