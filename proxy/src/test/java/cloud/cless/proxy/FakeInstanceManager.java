package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * An InstanceManager double: hands out leases to an address per service (one instance each, with one retirement
 * stage, as a real instance has), or fails, as a test tells it. Counts every lease it made, and records the
 * revision each acquire asked for (a lease is on the revision last asked for).
 */
final class FakeInstanceManager implements InstanceManager {
    final List<TestLease> leases = new CopyOnWriteArrayList<>();
    /** The revision of every acquire, in order; the name of the tag after a {@code #} when the host was a tag's. */
    final List<String> acquired = new CopyOnWriteArrayList<>();
    /** The acquires held open since {@link #holdAcquires()}, in the order they were asked for. */
    final List<Promise<InstanceLease>> held = new CopyOnWriteArrayList<>();
    private volatile String lastRevision = "-";
    private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, CompletableFuture<Void>> retirements = new ConcurrentHashMap<>();
    private volatile long coldStartWaitMillis = -1;
    private volatile BiFunction<ServiceDefinition, EventLoop, Future<InstanceLease>> behaviour =
            (service, loop) -> {
                InetSocketAddress address = addresses.get(service.name());
                return address == null
                        ? loop.newFailedFuture(new IllegalStateException("no address for " + service.name()))
                        : loop.newSucceededFuture(newLease(address));
            };

    /** Every service's leases go to {@code address}. */
    void leaseTo(InetSocketAddress address) {
        behaviour = (service, loop) -> loop.newSucceededFuture(newLease(address));
    }

    /** Leases of {@code service} go to {@code address} (the default behaviour, unless a test set another). */
    void leaseTo(String service, InetSocketAddress address) {
        addresses.put(service, address);
    }

    void answer(BiFunction<ServiceDefinition, EventLoop, Future<InstanceLease>> behaviour) {
        this.behaviour = behaviour;
    }

    /** From now on every acquire waits on a promise the test completes (or the proxy cancels): {@link #held}. */
    void holdAcquires() {
        behaviour = (service, loop) -> {
            Promise<InstanceLease> promise = loop.newPromise();
            held.add(promise);
            return promise;
        };
    }

    /** Waits until {@code count} acquires are held; returns the last of them. */
    Promise<InstanceLease> awaitHeld(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (held.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        org.assertj.core.api.Assertions.assertThat(held).as("acquires the proxy asked for").hasSize(count);
        return held.get(count - 1);
    }

    /** Leases from now on say they waited this long for a cold start. */
    void coldStartWait(long millis) {
        coldStartWaitMillis = millis;
    }

    /** The instance at {@code address} takes no more leases. */
    void retire(InetSocketAddress address) {
        retirements.computeIfAbsent(address, a -> new CompletableFuture<>()).complete(null);
    }

    TestLease newLease(InetSocketAddress address) {
        TestLease lease = new TestLease(address, "i" + address.getPort(), lastRevision,
                retirements.computeIfAbsent(address, a -> new CompletableFuture<>()), coldStartWaitMillis);
        leases.add(lease);
        return lease;
    }

    /** Waits until every lease made so far was released exactly once, and {@code count} were made. */
    void awaitReleased(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
                && (leases.size() < count || leases.stream().anyMatch(l -> l.releases.get() == 0))) {
            Thread.sleep(5);
        }
        org.assertj.core.api.Assertions.assertThat(leases).hasSize(count);
        org.assertj.core.api.Assertions.assertThat(leases)
                .allSatisfy(l -> org.assertj.core.api.Assertions.assertThat(l.releases.get()).isEqualTo(1));
    }

    @Override
    public Future<InstanceLease> acquire(Route route, Revision revision, EventLoop loop) {
        lastRevision = revision.name();
        acquired.add(route.tagged() ? revision.name() + "#" + route.tag() : revision.name());
        return behaviour.apply(route.service(), loop);
    }

    @Override
    public List<InstanceInfo> instances(String serviceName) {
        return List.of();
    }

    @Override
    public CompletableFuture<Void> start() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> shutdown(Duration drain) {
        return CompletableFuture.completedFuture(null);
    }
}
