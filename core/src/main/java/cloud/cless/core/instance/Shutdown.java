package cloud.cless.core.instance;

import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes every instance down on shutdown: no new leases, requests in flight get the drain time, then every
 * instance is retired (those still starting once their start ends) and the driver settles what is left (on a
 * container engine: each removal that failed is tried once more).
 */
final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);
    private static final long POLL_MILLIS = 50;
    /** Starts in flight end within their engine calls' deadlines; removals within theirs. A bound all the same. */
    private static final Duration REMOVAL_WAIT = Duration.ofMinutes(2);

    private final Pools pools;
    private final InstanceDriver driver;
    private final EffectRunner runner;
    private final EventLoopGroup group;

    Shutdown(Pools pools, InstanceDriver driver, EffectRunner runner, EventLoopGroup group) {
        this.pools = pools;
        this.driver = driver;
        this.runner = runner;
        this.group = group;
    }

    CompletableFuture<Void> run(Duration drain) {
        for (ServicePool pool : pools.all()) {
            runner.decide(pool, pool::close);
        }
        CompletableFuture<Void> madeAhead = driver.closing();
        return until(() -> pools.inFlight() == 0, drain, "requests still in flight after the drain time")
                .thenCompose(v -> {
                    for (ServicePool pool : pools.all()) {
                        runner.decide(pool, pool::removeAll);
                    }
                    return until(() -> !driver.starting() && pools.allEmpty(), REMOVAL_WAIT,
                            "instances still starting");
                })
                .thenCompose(v -> CompletableFuture.allOf(madeAhead, driver.settle())
                        .completeOnTimeout(null, REMOVAL_WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .thenRun(driver::finished);
    }

    /** Completes once {@code done} holds, or after {@code bound} (logging {@code what} was left). */
    private CompletableFuture<Void> until(BooleanSupplier done, Duration bound, String what) {
        CompletableFuture<Void> over = new CompletableFuture<>();
        poll(done, System.nanoTime() + bound.toNanos(), what, over);
        return over;
    }

    private void poll(BooleanSupplier done, long deadlineNanos, String what, CompletableFuture<Void> over) {
        if (done.getAsBoolean()) {
            over.complete(null);
            return;
        }
        if (System.nanoTime() >= deadlineNanos) {
            log.info("Shutting down with {}", what);
            over.complete(null);
            return;
        }
        try {
            group.next().schedule(() -> poll(done, deadlineNanos, what, over), POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopsGone) {
            over.complete(null);
        }
    }
}
