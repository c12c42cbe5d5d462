package cloud.cless.proxy;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Third step: leases an instance of the routed revision for one request (the lifecycle places it by the traffic as
 * it is now, should it have moved since routing) and gets a connection to it, an idle one
 * from this event loop's pool, else a new one opened on the same loop. A connect that fails (nothing was sent yet)
 * is retried once on a new lease: a refused connect reports the instance as gone first, a timed-out one does not
 * (an instance too busy to accept is not a broken one). Cancelling gives the request's place up at once. While
 * the pool holds new connections to the instance back ({@link UpstreamPool.Slot#tryOpen()}), the request waits in
 * the instance's slot, lease in hand, for an idle connection or leave to open one.
 */
final class Acquisition implements UpstreamPool.Waiter {
    private static final Logger log = LoggerFactory.getLogger(Acquisition.class);

    /** Where the outcome goes; called on the event loop, at most once per {@link #start} or {@link #reconnect}. */
    interface Callback {
        void acquired(InstanceLease lease, UpstreamConnection connection, boolean reused);

        /** No connection could be had; {@code quiet}: the cause was logged where it happened (a failed cold start). */
        void acquireFailed(ClientError error, String reason, boolean quiet);
    }

    private final RequestPath path;
    private final Route route;
    private final Revision revision;
    private final String service;
    private final String host;
    private final EventLoop loop;
    private final UpstreamPool pool;
    private final Callback callback;
    private Future<InstanceLease> pending;
    private InstanceLease paced;
    private UpstreamPool.Slot pacedIn;
    private boolean retried;
    private boolean cancelled;

    Acquisition(RequestPath path, Route route, Revision revision, String host, EventLoop loop, Callback callback) {
        this.path = path;
        this.route = route;
        this.revision = revision;
        this.service = route.service().name();
        this.host = host;
        this.loop = loop;
        this.pool = path.pool(loop);
        this.callback = callback;
    }

    void start() {
        Future<InstanceLease> acquired = path.instances().acquire(route, revision, loop);
        if (acquired.isDone()) {
            leased(acquired); // a warm instance: no listener, no wait
        } else {
            pending = acquired;
            acquired.addListener(f -> {
                pending = null;
                leased(acquired);
            });
        }
    }

    /** Whether the lease is still being waited for (a cold start or the queue), or a connection under it. */
    boolean waiting() {
        return pending != null || paced != null;
    }

    /** Opens a new connection under {@code lease}, for the retry of a request whose pooled connection failed. */
    void reconnect(InstanceLease lease) {
        UpstreamPool.Slot slot = pool.slot(lease);
        slot.forceOpen();
        connect(lease, slot);
    }

    /** The client left: give the place in the queue up, and drop whatever arrives later. */
    void cancel() {
        cancelled = true;
        if (pending != null) {
            pending.cancel(false);
        }
        if (paced != null) {
            pacedIn.leave(this);
            paced.release();
            paced = null;
            pacedIn = null;
        }
    }

    @Override
    public void handed(UpstreamConnection connection) {
        InstanceLease lease = paced;
        paced = null;
        pacedIn = null;
        if (lease == null) {
            connection.release(true, System.nanoTime()); // gave its place up after the connection was handed over
            return;
        }
        if (!connection.channel().isActive()) {
            // The app closed it on its way over: open one instead, as the request already waited its turn.
            connection.slot().forceOpen();
            connect(lease, connection.slot());
            return;
        }
        callback.acquired(lease, connection, true);
    }

    @Override
    public void mayOpen() {
        InstanceLease lease = paced;
        UpstreamPool.Slot slot = pacedIn;
        paced = null;
        pacedIn = null;
        connect(lease, slot);
    }

    private void leased(Future<InstanceLease> acquired) {
        if (!acquired.isSuccess()) {
            if (!cancelled) {
                failed(acquired.cause());
            }
            return;
        }
        InstanceLease lease = acquired.getNow();
        if (cancelled) {
            lease.release();
            return;
        }
        UpstreamConnection idle = pool.take(lease);
        if (idle != null) {
            callback.acquired(lease, idle, true);
            return;
        }
        UpstreamPool.Slot slot = pool.slot(lease);
        if (slot.tryOpen()) {
            connect(lease, slot);
        } else {
            paced = lease;
            pacedIn = slot;
            slot.await(this);
        }
    }

    private void connect(InstanceLease lease, UpstreamPool.Slot slot) {
        ChannelFuture connect = path.connector().connect(loop, lease.address());
        connect.addListener(f -> connected(lease, slot, connect));
    }

    private void connected(InstanceLease lease, UpstreamPool.Slot slot, ChannelFuture connect) {
        if (!connect.isSuccess() || cancelled) {
            // No UpstreamConnection counts it from here. Later, not now: a connect can fail at once, and waking the
            // next waiter from inside this listener would nest one connect per waiter on the stack.
            loop.execute(slot::openingEnded);
        }
        if (cancelled) {
            connect.channel().close();
            lease.release();
            return;
        }
        if (connect.isSuccess()) {
            UpstreamConnection connection = new UpstreamConnection(connect.channel(), slot);
            connect.channel().pipeline().addLast(RequestPath.UPSTREAM, connection);
            callback.acquired(lease, connection, false);
            return;
        }
        Throwable cause = connect.cause();
        if (!(cause instanceof ConnectTimeoutException)) {
            lease.connectFailed(cause); // refused: nothing listens there any more, the manager replaces it
        }
        lease.release();
        if (!retried) {
            retried = true;
            log.debug("Connecting to service {} (revision {}) instance {} at {} failed ({}); retrying once", service,
                    lease.revision(), lease.instanceId(), lease.address(), cause.getMessage());
            start();
            return;
        }
        callback.acquireFailed(ClientError.BAD_GATEWAY, "connecting to service " + service + " (revision "
                + lease.revision() + ") instance " + lease.instanceId() + " at " + lease.address() + " failed: "
                + cause.getMessage(), false);
    }

    private void failed(Throwable cause) {
        if (cause instanceof AcquireFailure failure) {
            ClientError error = switch (failure.reason()) {
                case START_FAILED -> ClientError.BAD_GATEWAY;
                case STARTUP_TIMEOUT -> ClientError.GATEWAY_TIMEOUT;
                case UNAVAILABLE -> ClientError.SERVICE_UNAVAILABLE;
                case NOT_FOUND -> ClientError.NOT_FOUND;
            };
            String reason = switch (failure.reason()) {
                case START_FAILED -> "service " + service + startedFrom() + " could not be started: "
                        + failure.getMessage();
                case STARTUP_TIMEOUT -> "service " + service + " (revision " + revision.name()
                        + ") was not ready in time: " + failure.getMessage();
                case UNAVAILABLE -> "service " + service + " is unavailable: " + failure.getMessage();
                case NOT_FOUND -> "no service for host " + host + ": " + failure.getMessage();
            };
            // A failure the lifecycle logged (a failed cold start, an engine outage) is not logged again for every
            // request it failed; one it did not (a full queue) is logged here.
            callback.acquireFailed(error, reason, failure.logged());
        } else {
            log.debug("Unexpected failure acquiring an instance of service {} (revision {})", service,
                    revision.name(), cause);
            callback.acquireFailed(ClientError.BAD_GATEWAY, "service " + service + " (revision " + revision.name()
                    + ") could not be reached: " + cause, false);
        }
    }

    private String startedFrom() {
        String image = revision.spec().imageReference();
        return " (revision " + revision.name() + (image == null ? "" : ", image " + image) + ")";
    }
}
