package cloud.cless.core.instance;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's hold on a container instance, counted in the epoch it was granted in. Taking and releasing it
 * touch only that epoch's counter; the pool's lock is taken only when the release drains the instance or hands
 * room to queued requests.
 */
final class ContainerLease implements InstanceLease {
    private static final Logger log = LoggerFactory.getLogger(ContainerLease.class);
    private static final AtomicIntegerFieldUpdater<ContainerLease> RELEASED =
            AtomicIntegerFieldUpdater.newUpdater(ContainerLease.class, "released");

    private final ServicePool pool;
    private final InFlight epoch;
    private final long coldStartWaitMillis;
    private final EffectRunner runner;
    private volatile int released;

    ContainerLease(ServicePool pool, InFlight epoch, long coldStartWaitMillis, EffectRunner runner) {
        this.pool = pool;
        this.epoch = epoch;
        this.coldStartWaitMillis = coldStartWaitMillis;
        this.runner = runner;
    }

    @Override
    public InetSocketAddress address() {
        return epoch.instance.address();
    }

    @Override
    public String instanceId() {
        return epoch.instance.id;
    }

    @Override
    public String revision() {
        return epoch.instance.revision;
    }

    @Override
    public CompletionStage<Void> retired() {
        return epoch.retired();
    }

    @Override
    public long coldStartWaitMillis() {
        return coldStartWaitMillis;
    }

    @Override
    public void touch() {
        epoch.instance.lastActivityMillis = runner.nowMillis();
    }

    /** Also releases the lease: a request whose connection was refused holds nothing. */
    @Override
    public void connectFailed(Throwable cause) {
        Instance instance = epoch.instance;
        log.warn("Instance {} of service {} (container {}) refused a connection, replacing it: {}", instance.id,
                instance.service, Instance.shortId(instance.containerId), cause.toString());
        runner.decide(pool, fx -> pool.suspect(instance, fx));
        release();
    }

    @Override
    public void release() {
        if (!RELEASED.compareAndSet(this, 0, 1)) {
            return;
        }
        Instance instance = epoch.instance;
        // Activity first: an idle check that sees the count drop to zero sees this time with it.
        instance.lastActivityMillis = runner.nowMillis();
        if (epoch.release()) {
            runner.decide(pool, fx -> pool.drained(instance, epoch, fx));
        } else if (pool.hasQueued()) {
            runner.decide(pool, pool::dispatch);
        }
    }
}
