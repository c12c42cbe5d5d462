package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.service.ContainerTemplate;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One container of a revision of a service as the lifecycle tracks it. The plain fields are guarded by the owning
 * {@link ServicePool}'s lock; the volatile ones are written by the start (once each) or by leases
 * ({@link #lastActivityMillis}), and read anywhere.
 */
final class Instance {
    /** Its id; a start that takes over a spare container takes the spare's id, before any lease is granted. */
    volatile String id;
    final String service;
    /** The revision it runs ({@code hello-00002}). */
    final String revision;
    final ContainerTemplate template;
    final long startedAtMillis;
    /** Completes once no engine call of its start is in flight any more: its container id and port are final. */
    final CompletableFuture<Void> settled = new CompletableFuture<>();

    volatile String containerId;
    volatile int hostPort = -1;
    /** A create was sent for it: a container may exist even when no id came back. */
    volatile boolean createSent;
    volatile long lastActivityMillis;
    volatile long readyAtMillis = -1;
    volatile long coldStartMillis = -1;
    /** The container exited while it started: its start fails at once instead of at the startup timeout. */
    volatile boolean exited;
    /** The readiness probe in flight, cancelled when cless shuts down or the container exits. */
    volatile Future<Void> probe;
    /** The epoch taking leases now; null while it takes none (starting, paused, gone). */
    volatile InFlight epoch;
    private volatile InetSocketAddress address;
    /** Where it serves when that is not 127.0.0.1 and its host port: a task on a node of a swarm. */
    private volatile InetSocketAddress boundAddress;
    private final AtomicBoolean retiring = new AtomicBoolean();

    InstanceState state = InstanceState.STARTING;
    /** No new leases: its revision stopped serving or is gone, or cless is shutting down. */
    boolean drainRequested;
    /** Requests waiting for it to come up; each gets a lease then. */
    final List<Waiter> waiters = new ArrayList<>();

    Instance(String id, String service, String revision, ContainerTemplate template, long nowMillis) {
        this.id = id;
        this.service = service;
        this.revision = revision;
        this.template = template;
        this.startedAtMillis = nowMillis;
        this.lastActivityMillis = nowMillis;
    }

    /** True the first time only: an instance is retired once. */
    boolean startRetiring() {
        return retiring.compareAndSet(false, true);
    }

    String containerName() {
        return ContainerSpec.name(service, id);
    }

    /** It serves at {@code at} (a node's address and a port it published), not on 127.0.0.1. */
    void bindTo(InetSocketAddress at) {
        boundAddress = at;
        hostPort = at.getPort();
    }

    /** The address it was bound to, or null for an instance on 127.0.0.1 and its host port. */
    InetSocketAddress boundAddress() {
        return boundAddress;
    }

    /** Where it serves: the address it was bound to, else 127.0.0.1 and its host port, once it has one. */
    InetSocketAddress address() {
        InetSocketAddress bound = boundAddress;
        if (bound != null) {
            return bound;
        }
        InetSocketAddress current = address;
        if (current == null || current.getPort() != hostPort) {
            current = new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort);
            address = current;
        }
        return current;
    }

    /** In-flight requests, or -1 while it takes no leases: how placement sees it. */
    int load() {
        InFlight current = epoch;
        return current == null ? -1 : current.load();
    }

    /** Coming up: a start or resume in flight, or a pause whose end it waits for. */
    boolean comingUp() {
        return state == InstanceState.STARTING || state == InstanceState.RESUMING || state == InstanceState.PAUSING;
    }

    /** Takes new requests now or once up: counts against the max. */
    boolean servesNew() {
        return !drainRequested && state != InstanceState.DRAINING && state != InstanceState.STOPPING;
    }

    InstanceInfo info() {
        long ready = readyAtMillis;
        InFlight current = epoch;
        return new InstanceInfo(id, service, containerId, hostPort, state, Instant.ofEpochMilli(startedAtMillis),
                ready < 0 ? null : Instant.ofEpochMilli(ready), coldStartMillis,
                current == null ? 0 : current.count(), Instant.ofEpochMilli(lastActivityMillis), revision);
    }

    /** For logs: the first 12 characters, as Docker shows ids. */
    static String shortId(String containerId) {
        return containerId == null ? "-" : containerId.substring(0, Math.min(12, containerId.length()));
    }
}
