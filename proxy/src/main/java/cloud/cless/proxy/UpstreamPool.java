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
 */
final class UpstreamPool {
    private final EventLoop loop;
    private final long idleNanos;
    private final int maxIdlePerInstance;
    private final Map<InetSocketAddress, Slot> slots = new HashMap<>();
    private ScheduledFuture<?> sweep;
    private boolean closed;

    UpstreamPool(EventLoop loop, Duration idleTimeout, int maxIdlePerInstance) {
        this.loop = loop;
        this.idleNanos = idleTimeout.toNanos();
        this.maxIdlePerInstance = maxIdlePerInstance;
    }

    EventLoop loop() {
        return loop;
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
        if (current != slot || !connection.channel().isActive() || slot.idle.size() >= maxIdlePerInstance) {
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
            } else {
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

    /** The idle connections to one instance. */
    final class Slot {
        private final InetSocketAddress address;
        private final String instanceId;
        private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
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

        /** The instance takes no new leases: close what idles there, and close the rest as it comes back. */
        void retire() {
            retired = true;
            slots.remove(address, this);
            UpstreamConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                connection.channel().close();
            }
        }
    }
}
