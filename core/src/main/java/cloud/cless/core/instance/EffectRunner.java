package cloud.cless.core.instance;

import cloud.cless.core.metrics.RevisionMeters;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Carries out what a {@link ServicePool} decided, once its lock is released: completes requests' promises (on
 * their event loops), schedules queue timeouts, hands requests the pool no longer serves back to be placed again,
 * tells holders of pooled connections that an instance retired, and hands starts, pauses, resumes and retirements
 * to the engine's {@link InstanceDriver}.
 */
final class EffectRunner {
    private final Clock clock;
    private final Duration queueTimeout;
    private final InstanceDriver driver;
    private final Consumer<Waiter> readmit;

    /** @param readmit places a request again whose pool's revision serves no more */
    EffectRunner(Clock clock, Duration queueTimeout, InstanceDriver driver, Consumer<Waiter> readmit) {
        this.clock = clock;
        this.queueTimeout = queueTimeout;
        this.driver = driver;
        this.readmit = readmit;
    }

    long nowMillis() {
        return clock.millis();
    }

    /** Lets {@code pool} decide (under its lock, inside {@code decision}), then carries the decision out. */
    void decide(ServicePool pool, Consumer<Effects> decision) {
        Effects fx = new Effects();
        decision.accept(fx);
        run(pool, fx);
    }

    void run(ServicePool pool, Effects fx) {
        if (fx.isEmpty()) {
            return;
        }
        for (InFlight epoch : fx.closedEpochs) {
            epoch.retired().complete(null);
        }
        count(pool, fx);
        for (Waiter waiter : fx.queued) {
            scheduleQueueTimeout(pool, waiter);
        }
        for (Effects.Failure failure : fx.failures) {
            failure.waiter().cancelQueueTimeout();
            failure.waiter().promise.tryFailure(failure.failure());
        }
        for (Effects.Grant grant : fx.grants) {
            Waiter waiter = grant.waiter();
            waiter.cancelQueueTimeout();
            if (waiter.queuedAtNanos != 0) {
                pool.meters().queueWaited(System.nanoTime() - waiter.queuedAtNanos);
            }
            ContainerLease lease = new ContainerLease(pool, grant.epoch(), grant.coldStartWaitMillis(), this);
            if (!waiter.promise.trySuccess(lease)) {
                lease.release(); // the client left meanwhile
            }
        }
        for (Waiter waiter : fx.redirects) {
            waiter.queuedAtNanos = 0;
            readmit.accept(waiter);
        }
        for (Effects.Retire retire : fx.retires) {
            driver.retire(pool, retire);
        }
        for (Instance instance : fx.starts) {
            driver.start(pool, instance, this);
        }
        for (Instance instance : fx.pauses) {
            driver.pause(pool, instance, this);
        }
        for (Instance instance : fx.resumes) {
            driver.resume(pool, instance, this);
        }
    }

    private void count(ServicePool pool, Effects fx) {
        if (fx.queued.isEmpty() && fx.queueFull == 0 && fx.abandoned == 0) {
            return;
        }
        RevisionMeters meters = pool.meters();
        fx.queued.forEach(waiter -> meters.queued());
        for (int i = 0; i < fx.queueFull; i++) {
            meters.queueRejected("full");
        }
        for (int i = 0; i < fx.abandoned; i++) {
            meters.abandoned();
        }
    }

    private void scheduleQueueTimeout(ServicePool pool, Waiter waiter) {
        try {
            waiter.queueTimeout = waiter.loop.schedule(() -> {
                if (pool.queueTimedOut(waiter)) {
                    pool.meters().queueRejected("timeout");
                    waiter.promise.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service "
                            + pool.service() + " (revision " + pool.key() + "): no instance free within "
                            + queueTimeout.toMillis() + " ms"));
                }
            }, queueTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopGone) {
            if (pool.queueTimedOut(waiter)) {
                waiter.promise.tryFailure(Admission.shuttingDown(pool.service()));
            }
        }
    }
}
