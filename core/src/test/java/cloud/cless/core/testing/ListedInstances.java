package cloud.cless.core.testing;

import cloud.cless.core.instance.AcquireFailure;
import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** An instance manager that reports the instances a test gives it and starts none. */
public final class ListedInstances implements InstanceManager {
    private final Map<String, List<InstanceInfo>> running = new ConcurrentHashMap<>();

    /** From now on {@link #instances} reports {@code instances} for {@code service}. */
    public void set(String service, List<InstanceInfo> instances) {
        running.put(service, List.copyOf(instances));
    }

    @Override
    public Future<InstanceLease> acquire(Route route, Revision revision, EventLoop loop) {
        return loop.newFailedFuture(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                "this test starts no instances"));
    }

    @Override
    public List<InstanceInfo> instances(String serviceName) {
        return running.getOrDefault(serviceName, List.of());
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
