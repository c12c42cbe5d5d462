package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle connections to instances, for one event loop (so no lock): per instance, most recently used first. A
 * connection idle longer than {@code --upstream-idle-timeout} is closed (one timer for the whole pool), and every
 * idle connection to an instance is closed once the instance takes no more leases ({@link InstanceLease#retired()}).
 * Only that loop calls it.
 *
 * <p>New connections to an instance are paced: at most {@link #OPENING_PER_INSTANCE} at a time are being opened and
 * not yet answered, for at most {@link #ANSWER_GRACE} each (see {@link UpstreamConnection}); a request over that waits for the next connection to come back
 * idle or for one of those to be answered. A burst of requests then opens connections as fast as the app accepts
 * them rather than all at once: an app with a short listen queue (busybox httpd's holds 10) drops the handshakes
 * that overflow it, and a connection whose final ACK it dropped looks open to cless until the app resets it.
 */
final class UpstreamPool {
    /** Connections to one instance being opened and not yet answered at once, on one event loop. */
    static final int OPENING_PER_INSTANCE = 8;
    /** How long a new connection without an answer counts as being opened. */
    static final Duration ANSWER_GRACE = Duration.ofMillis(100);

    /** A request waiting for a connection to an instance that is opening as many as it may. */
    interface Waiter {
        /** An idle connection, now the waiter's. */
        void handed(UpstreamConnection connection);

        /** The waiter may open a connection now; it counts as one being opened. */
        void mayOpen();
    }

    private final EventLoop loop;
    private final long idleNanos;
    private final int maxIdlePerInstance;
    private final long answerGraceNanos;
    private final Map<InetSocketAddress, Slot> slots = new HashMap<>();
    private ScheduledFuture<?> sweep;
    private boolean closed;

    UpstreamPool(EventLoop loop, Duration idleTimeout, int maxIdlePerInstance, Duration answerGrace) {
        this.loop = loop;
        this.idleNanos = idleTimeout.toNanos();
        this.maxIdlePerInstance = maxIdlePerInstance;
        this.answerGraceNanos = answerGrace.toNanos();
    }

    EventLoop loop() {
        return loop;
    }

    long answerGraceNanos() {
        return answerGraceNanos;
    }

    /** An idle connection to the instance of {@code lease}, now in use by the caller; null when there is none. */
    UpstreamConnection take(InstanceLease lease) {
        Slot slot = slots.get(lease.address());
        if (slot == null || !slot.instanceId.equals(lease.instanceId())) {
            return null;
        }
        UpstreamConnection connection;
        while ((connection = slot.idle.pollFirst()) != null) {
            if (connection.channel().isActive()) {
                return connection;
            }
        }
        return null;
    }

    /** Where a new connection to the instance of {@code lease} goes back to when its exchange ends cleanly. */
    Slot slot(InstanceLease lease) {
        Slot slot = slots.get(lease.address());
        if (slot != null && slot.instanceId.equals(lease.instanceId())) {
            return slot;
        }
        if (slot != null) {
            slot.retire(); // another instance now listens at that address: the old one is gone
        }
        Slot created = new Slot(lease.address(), lease.instanceId());
        if (!closed) {
            slots.put(lease.address(), created);
            lease.retired().whenComplete((ignored, error) -> loop.execute(created::retire));
        } else {
            created.retired = true;
        }
        return created;
    }

    /** A connection whose exchange ended cleanly: kept idle for the next request, or closed. */
    void offer(UpstreamConnection connection, long nowNanos) {
        Slot slot = connection.slot();
        Slot current = slots.get(slot.address);
        if (current == null && !slot.retired && !closed) {
            slots.put(slot.address, slot); // forgotten by a sweep while this connection was busy
            current = slot;
        }
        if (current != slot || !connection.channel().isActive()) {
            connection.channel().close();
            return;
        }
        Waiter waiter = slot.waiters.pollFirst();
        if (waiter != null) {
            // Not from inside the exchange that just ended with it: the next one starts on a clean stack.
            loop.execute(() -> waiter.handed(connection));
            return;
        }
        if (slot.idle.size() >= maxIdlePerInstance) {
            connection.channel().close();
            return;
        }
        connection.idleSinceNanos = nowNanos;
        slot.idle.addFirst(connection);
        if (sweep == null) {
            sweep = loop.schedule(this::sweep, idleNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes every idle connection and keeps none from now on (shutdown). */
    void close() {
        closed = true;
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
        for (Slot slot : new ArrayList<>(slots.values())) {
            slot.retire();
        }
    }

    private void sweep() {
        sweep = null;
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        List<Slot> empty = new ArrayList<>();
        for (Slot slot : slots.values()) {
            UpstreamConnection oldest;
            while ((oldest = slot.idle.peekLast()) != null && now - oldest.idleSinceNanos >= idleNanos) {
                slot.idle.pollLast();
                oldest.channel().close();
            }
            if (oldest != null) {
                next = Math.min(next, oldest.idleSinceNanos + idleNanos - now);
            } else if (slot.opening == 0 && slot.waiters.isEmpty()) {
                empty.add(slot);
            }
        }
        for (Slot slot : empty) {
            // Forget the instance while nothing idles there; a later connection subscribes to it again.
            slots.remove(slot.address, slot);
        }
        if (next != Long.MAX_VALUE) {
            sweep = loop.schedule(this::sweep, Math.max(next, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
        }
    }

    /** The idle connections to one instance, and the requests waiting to open one. */
    final class Slot {
        private final InetSocketAddress address;
        private final String instanceId;
        private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
        private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        private int opening;
        private boolean retired;

        private Slot(InetSocketAddress address, String instanceId) {
            this.address = address;
            this.instanceId = instanceId;
        }

        UpstreamPool pool() {
            return UpstreamPool.this;
        }

        void removeIdle(UpstreamConnection connection) {
            idle.removeFirstOccurrence(connection);
        }

        /**
         * Whether a new connection may be opened now; when it may, it counts as being opened until
         * {@link #openingEnded()}. A retired instance is not paced: what is left of its requests drains.
         */
        boolean tryOpen() {
            if (retired || opening < OPENING_PER_INSTANCE) {
                opening++;
                return true;
            }
            return false;
        }

        /** Counts a connection opened whatever the pace (the one retry of a request whose pooled connection failed). */
        void forceOpen() {
            opening++;
        }

        /** {@code waiter} gets an idle connection or leave to open one, in arrival order. */
        void await(Waiter waiter) {
            waiters.addLast(waiter);
        }

        /** The waiter gave its place up. */
        void leave(Waiter waiter) {
            waiters.removeFirstOccurrence(waiter);
        }

        /** A connection counted by {@link #tryOpen()} was answered, closed or failed: the next waiter may open one. */
        void openingEnded() {
            opening--;
            Waiter next = waiters.pollFirst();
            if (next != null) {
                opening++;
                next.mayOpen();
            }
        }

        int opening() {
            return opening;
        }

        int waiting() {
            return waiters.size();
        }

        /** The instance takes no new leases: close what idles there, and close the rest as it comes back. */
        void retire() {
            retired = true;
            slots.remove(address, this);
            UpstreamConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                connection.channel().close();
            }
            Waiter waiter;
            while ((waiter = waiters.pollFirst()) != null) {
                opening++;
                waiter.mayOpen();
            }
        }
    }
}
