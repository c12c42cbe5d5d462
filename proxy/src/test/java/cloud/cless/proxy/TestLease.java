package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceLease;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A lease that records how the proxy used it; its instance retires when a test completes {@link #retired}. */
final class TestLease implements InstanceLease {
    final AtomicInteger touches = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicReference<Throwable> connectFailure = new AtomicReference<>();
    private final InetSocketAddress address;
    private final String id;
    private final String revision;
    private final CompletableFuture<Void> retired;
    private final long coldStartWaitMillis;

    TestLease(InetSocketAddress address, String id, String revision, CompletableFuture<Void> retired,
              long coldStartWaitMillis) {
        this.address = address;
        this.id = id;
        this.revision = revision;
        this.retired = retired;
        this.coldStartWaitMillis = coldStartWaitMillis;
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
    public String revision() {
        return revision;
    }

    @Override
    public CompletionStage<Void> retired() {
        return retired;
    }

    @Override
    public long coldStartWaitMillis() {
        return coldStartWaitMillis;
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
