package cloud.cless.core.instance;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One container of a service as the manager tracks it. The fields without {@code volatile} are guarded by the
 * owning {@link ServicePool}'s lock; the volatile ones are written once by the start sequence, or cheaply by
 * leases ({@link #lastActivityMillis}).
 */
final class Instance {
    final String id;
    final ServiceDefinition definition;
    final long startedAtMillis;
    /** Completes once the container is removed and its port is given back. */
    final CompletableFuture<Void> gone = new CompletableFuture<>();
    private final AtomicBoolean retiring = new AtomicBoolean();

    volatile String containerId;
    volatile int hostPort = -1;
    volatile long lastActivityMillis;
    volatile long readyAtMillis = -1;
    volatile long coldStartMillis = -1;
    /** The container exited while it started: its start fails at once instead of at the startup timeout. */
    volatile boolean exited;
    /** The readiness probe in flight, cancelled when cless shuts down or the container exits. */
    volatile Future<Void> probe;
    /** The pre-created container this instance starts instead of creating one; null for a fresh create. */
    final Spare spare;
    /** The last pause of the container; an unpause waits for it (a failed pause left the container running). */
    volatile CompletableFuture<Void> pausing;

    InstanceState state = InstanceState.STARTING;
    /** No new leases: the definition changed, the service is gone, or cless is shutting down. */
    boolean drainRequested;
    int openConnections;
    /** Connections waiting for this instance to become ready; each becomes a lease then. */
    final List<Waiter> waiters = new ArrayList<>();

    Instance(String id, ServiceDefinition definition, long nowMillis) {
        this(id, definition, nowMillis, null);
    }

    Instance(String id, ServiceDefinition definition, long nowMillis, Spare spare) {
        this.id = id;
        this.spare = spare;
        this.definition = definition;
        this.startedAtMillis = nowMillis;
        this.lastActivityMillis = nowMillis;
    }

    String service() {
        return definition.name();
    }

    /** The container name, {@code cless-<service>-<id>}. */
    String containerName() {
        return "cless-" + definition.name() + "-" + id;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort);
    }

    /** True the first time only: an instance is retired once. */
    boolean startRetiring() {
        return retiring.compareAndSet(false, true);
    }

    /**
     * Whether a new connection may be given this instance (ready, starting, or paused and resumed for it) for
     * {@code def}; such instances count against {@code max_instances}.
     */
    boolean servesNew(ServiceDefinition def) {
        return !drainRequested
                && (state == InstanceState.READY || state == InstanceState.STARTING || state == InstanceState.PAUSED)
                && definition.sameContainerAs(def);
    }

    InstanceInfo info() {
        long ready = readyAtMillis;
        return new InstanceInfo(id, definition.name(), containerId, hostPort, state,
                Instant.ofEpochMilli(startedAtMillis), ready < 0 ? null : Instant.ofEpochMilli(ready),
                coldStartMillis, openConnections, Instant.ofEpochMilli(lastActivityMillis));
    }
}
