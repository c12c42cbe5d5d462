package cloud.cless.core.upstream;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.ServiceDefinition;
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
 * The instances of upstream services: a fixed address per service, always ready, with nothing to start, count or
 * reap. The address is resolved when the definition arrives (off the event loops): {@code localhost} through the
 * system resolver (it may say {@code ::1}), falling back to the loopback address. A lease's {@code retired()}
 * completes when the service's definition changes or the service is deleted.
 */
public final class UpstreamInstances {
    private static final Logger log = LoggerFactory.getLogger(UpstreamInstances.class);

    /** One definition's resolved address; {@code retirement} completes once another definition replaces it. */
    private record Upstream(ServiceDefinition definition, InetSocketAddress address,
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
    private final Map<String, Upstream> byService = new ConcurrentHashMap<>();

    /** @param resolver runs name lookups for a definition that arrives on an event loop */
    public UpstreamInstances(Executor resolver) {
        this.resolver = resolver;
    }

    /** A lease for {@code current}, an upstream service's current definition; completes on {@code loop}. */
    public Future<InstanceLease> acquire(ServiceDefinition current, EventLoop loop) {
        Upstream upstream = byService.get(current.name());
        if (upstream != null && upstream.definition() == current) {
            return loop.newSucceededFuture(upstream);
        }
        // Not seen yet (defined while this request was routed): resolve off the event loop, then lease.
        Promise<InstanceLease> leased = loop.newPromise();
        try {
            resolver.execute(() -> {
                try {
                    leased.trySuccess(defined(current));
                } catch (RuntimeException e) {
                    leased.tryFailure(new AcquireFailure(AcquireFailure.Reason.START_FAILED,
                            "service " + current.name() + ": upstream " + current.upstream() + ": " + e.getMessage(),
                            e));
                }
            });
        } catch (RejectedExecutionException e) {
            leased.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                    "service " + current.name() + ": cless is shutting down", e));
        }
        return leased;
    }

    /** The service was created or changed (and may have become an upstream): resolves it, retires the previous. */
    public InstanceLease defined(ServiceDefinition definition) {
        Upstream fresh = new Upstream(definition, resolve(UpstreamAddress.parse(definition.upstream())),
                new CompletableFuture<>());
        Upstream previous = byService.put(definition.name(), fresh);
        if (previous != null && previous != fresh) {
            previous.retirement().complete(null);
        }
        return fresh;
    }

    /** The service was deleted or is no longer an upstream: leases on it are retired. */
    public void removed(String service) {
        Upstream previous = byService.remove(service);
        if (previous != null) {
            previous.retirement().complete(null);
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
