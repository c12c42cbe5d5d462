package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Leases taken and given back on several threads at once while the reaper runs as often as it can with a clock
 * that says everything idle is long idle: every instance becomes a candidate the moment its last request ends.
 * Whatever the interleaving, no request may hold a lease on an instance that was retired under it.
 */
class LeaseStressTest extends LifecycleFixture {
    private static final int THREADS = 4;
    private static final int LEASES_PER_THREAD = 1_500;

    @Test
    void noLeaseIsEverHeldOnARetiredInstance() throws Exception {
        ServiceDefinition hot = registered(service("hot").concurrency(2).maxInstances(3).idleTimeoutSeconds(1)
                .build());
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger granted = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(THREADS);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread worker = new Thread(() -> {
                try {
                    for (int i = 0; i < LEASES_PER_THREAD; i++) {
                        Future<InstanceLease> acquired = manager.acquire(hot, group.next());
                        if (!acquired.await(30, TimeUnit.SECONDS)) {
                            problems.add("an acquire did not complete");
                            return;
                        }
                        if (!acquired.isSuccess()) {
                            continue; // queue full or timed out under the churn: fine, nothing held
                        }
                        InstanceLease lease = acquired.getNow();
                        granted.incrementAndGet();
                        // Hold it a moment, as a request does, giving a wrong retirement time to show.
                        for (int spin = 0; spin < 20; spin++) {
                            lease.touch();
                            Thread.yield();
                        }
                        if (lease.retired().toCompletableFuture().isDone()) {
                            problems.add("lease on instance " + lease.instanceId() + " held after it retired");
                        }
                        lease.release();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "lease-stress-" + t);
            workers.add(worker);
            worker.start();
        }
        Thread reaper = new Thread(() -> {
            while (running.get()) {
                clock.advanceMillis(5_000);
                tick();
            }
        }, "lease-stress-reaper");
        reaper.start();

        assertThat(done.await(120, TimeUnit.SECONDS)).as("workers finished").isTrue();
        running.set(false);
        reaper.join();

        assertThat(problems).isEmpty();
        assertThat(granted.get()).isGreaterThan(THREADS * LEASES_PER_THREAD / 2);
        assertThat(manager.instances("hot")).allSatisfy(i -> assertThat(i.inFlightRequests()).isZero());
        assertThat(runtime.creates()).as("the reaper really reaped").isGreaterThan(1);
    }
}
