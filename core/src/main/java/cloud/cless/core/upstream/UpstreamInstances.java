package cloud.cless.core.upstream;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.UpstreamAddress;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances of upstream revisions: a fixed address per revision, always ready, with nothing to start, count or
 * reap. The address is resolved when the revision starts to serve (off the event loops): {@code localhost} through
 * the system resolver (it may say {@code ::1}), falling back to the loopback address. A lease's {@code retired()}
 * completes when its revision serves no more or its service is deleted.
 */
public final class UpstreamInstances {
    private static final Logger log = LoggerFactory.getLogger(UpstreamInstances.class);

    /** One revision's resolved address; {@code retirement} completes once it serves no more. */
    private record Upstream(String service, String revision, InetSocketAddress address,
                            CompletableFuture<Void> retirement) implements InstanceLease {
        @Override
        public String instanceId() {
            return "upstream";
        }

        @Override
        public CompletionStage<Void> retired() {
            return retirement;
        }

        @Override
        public void touch() {
        }

        @Override
        public void connectFailed(Throwable cause) {
        }

        @Override
        public void release() {
        }
    }

    private final Executor resolver;
    private final Map<String, Upstream> byRevision = new ConcurrentHashMap<>();

    /** @param resolver runs name lookups for a revision first seen by a request on an event loop */
    public UpstreamInstances(Executor resolver) {
        this.resolver = resolver;
    }

    /** A lease on {@code revision}, an upstream revision that serves; completes on {@code loop}. */
    public Future<InstanceLease> acquire(Revision revision, EventLoop loop) {
        Upstream upstream = byRevision.get(revision.name());
        if (upstream != null) {
            return loop.newSucceededFuture(upstream);
        }
        // Not seen yet (it began to serve while this request was routed): resolve off the event loop, then lease.
        Promise<InstanceLease> leased = loop.newPromise();
        try {
            resolver.execute(() -> {
                try {
                    leased.trySuccess(defined(revision));
                } catch (RuntimeException e) {
                    leased.tryFailure(new AcquireFailure(AcquireFailure.Reason.START_FAILED, "service "
                            + revision.service() + " (revision " + revision.name() + "): upstream "
                            + revision.spec().upstream() + ": " + e.getMessage(), e));
                }
            });
        } catch (RejectedExecutionException e) {
            leased.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + revision.service() + ": cless is shutting down", e));
        }
        return leased;
    }

    /** {@code revision}, an upstream, serves: its address is resolved once (an address never changes in a revision). */
    public InstanceLease defined(Revision revision) {
        Upstream known = byRevision.get(revision.name());
        if (known != null) {
            return known;
        }
        Upstream fresh = new Upstream(revision.service(), revision.name(),
                resolve(UpstreamAddress.parse(revision.spec().upstream())), new CompletableFuture<>());
        Upstream raced = byRevision.putIfAbsent(revision.name(), fresh);
        return raced != null ? raced : fresh;
    }

    /** {@code revision} serves no more or is gone: leases on it are retired. */
    public void removed(String revision) {
        Upstream previous = byRevision.remove(revision);
        if (previous != null) {
            previous.retirement().complete(null);
        }
    }

    /** {@code service} was deleted: the leases on each of its revisions are retired. */
    public void serviceRemoved(String service) {
        for (Upstream upstream : byRevision.values()) {
            if (upstream.service().equals(service)) {
                removed(upstream.revision());
            }
        }
    }

    /**
     * The address to connect to. IP literals are taken as they are (no lookup); {@code localhost} is asked of the
     * system resolver, which reads the hosts file, and is the loopback address when that fails (RFC 6761).
     */
    static InetSocketAddress resolve(UpstreamAddress address) {
        if (!"localhost".equals(address.host())) {
            return address.toSocketAddress();
        }
        try {
            return new InetSocketAddress(InetAddress.getByName("localhost"), address.port());
        } catch (UnknownHostException e) {
            log.debug("localhost does not resolve here; using the loopback address", e);
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), address.port());
        }
    }
}
