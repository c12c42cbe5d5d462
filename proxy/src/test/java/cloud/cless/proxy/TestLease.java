package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A lease that records how the proxy used it. */
final class TestLease implements InstanceLease {
    final AtomicInteger touches = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicReference<Throwable> connectFailure = new AtomicReference<>();
    private final InetSocketAddress address;
    private final String id;

    TestLease(InetSocketAddress address, String id) {
        this.address = address;
        this.id = id;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String instanceId() {
        return id;
    }

    @Override
    public void touch() {
        touches.incrementAndGet();
    }

    @Override
    public void connectFailed(Throwable cause) {
        connectFailure.set(cause);
    }

    @Override
    public void release() {
        releases.incrementAndGet();
    }
}
