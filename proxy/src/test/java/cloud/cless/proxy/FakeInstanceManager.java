package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/** An InstanceManager double: hands out leases to a fixed address, or fails, as a test tells it. */
final class FakeInstanceManager implements InstanceManager {
    final List<TestLease> leases = new CopyOnWriteArrayList<>();
    private volatile BiFunction<ServiceDefinition, EventLoop, Future<InstanceLease>> behaviour =
            (service, loop) -> loop.newFailedFuture(new IllegalStateException("no behaviour set"));

    void leaseTo(InetSocketAddress address) {
        behaviour = (service, loop) -> loop.newSucceededFuture(newLease(address));
    }

    void answer(BiFunction<ServiceDefinition, EventLoop, Future<InstanceLease>> behaviour) {
        this.behaviour = behaviour;
    }

    TestLease newLease(InetSocketAddress address) {
        TestLease lease = new TestLease(address, "i" + leases.size());
        leases.add(lease);
        return lease;
    }

    @Override
    public Future<InstanceLease> acquire(ServiceDefinition service, EventLoop loop) {
        return behaviour.apply(service, loop);
    }

    @Override
    public Future<InstanceLease> acquire(Route route, Revision revision, EventLoop loop) {
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
