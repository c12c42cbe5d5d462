package cloud.cless.core.instance;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Hands out instances of services to requests, starting containers on demand, and stops them again. */
public interface InstanceManager {

    /**
     * Acquires an instance of {@code service} for one request. The returned future completes on {@code loop},
     * with a lease, or with an {@link AcquireFailure}. Never blocks. Cancelling the future (the client left) gives
     * the request's place up at once: it leaves the wait queue and starts nothing more.
     */
    Future<InstanceLease> acquire(ServiceDefinition service, EventLoop loop);

    /** The instances of a service as they are now. */
    List<InstanceInfo> instances(String serviceName);

    /** Adopts or removes the containers left from an earlier run, then starts what must run. */
    CompletableFuture<Void> start();

    /** Lets leased connections finish (up to {@code drain}), then stops and removes every managed container. */
    CompletableFuture<Void> shutdown(Duration drain);
}
