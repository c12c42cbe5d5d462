package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.metrics.ServiceMeters;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Carries out what a {@link ServicePool} decided, once its lock is released: completes requests' promises (on
 * their event loops), schedules queue timeouts, tells holders of pooled connections that an instance retired, and
 * hands starts, pauses, resumes and retirements to the parts that do them.
 */
final class EffectRunner {
    private final Clock clock;
    private final ClessMetrics metrics;
    private final Duration queueTimeout;
    private final ColdStart coldStart;
    private final PauseResume pauseResume;
    private final Retirement retirement;

    EffectRunner(Clock clock, ClessMetrics metrics, Duration queueTimeout, ColdStart coldStart,
                 PauseResume pauseResume, Retirement retirement) {
        this.clock = clock;
        this.metrics = metrics;
        this.queueTimeout = queueTimeout;
        this.coldStart = coldStart;
        this.pauseResume = pauseResume;
        this.retirement = retirement;
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
                metrics.service(pool.key()).queueWaited(System.nanoTime() - waiter.queuedAtNanos);
            }
            ContainerLease lease = new ContainerLease(pool, grant.epoch(), grant.coldStartWaitMillis(), this);
            if (!waiter.promise.trySuccess(lease)) {
                lease.release(); // the client left meanwhile
            }
        }
        for (Effects.Retire retire : fx.retires) {
            retirement.retire(retire.instance(), retire.graceful(), retire.reason());
        }
        for (Instance instance : fx.starts) {
            coldStart.start(pool, instance, this);
        }
        for (Instance instance : fx.pauses) {
            pauseResume.pause(pool, instance, this);
        }
        for (Instance instance : fx.resumes) {
            pauseResume.resume(pool, instance, this);
        }
    }

    private void count(ServicePool pool, Effects fx) {
        if (fx.queued.isEmpty() && fx.queueFull == 0 && fx.abandoned == 0) {
            return;
        }
        ServiceMeters meters = metrics.service(pool.key());
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
                    metrics.service(pool.key()).queueRejected("timeout");
                    waiter.promise.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service "
                            + pool.key() + ": no instance free within " + queueTimeout.toMillis() + " ms"));
                }
            }, queueTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopGone) {
            if (pool.queueTimedOut(waiter)) {
                waiter.promise.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE,
                        "service " + pool.key() + ": cless is shutting down"));
            }
        }
    }
}
