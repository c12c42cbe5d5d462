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
 * container is stopped and removed (those still starting once their start ends), and each removal that failed is
 * tried once more.
 */
final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);
    private static final long POLL_MILLIS = 50;
    /** Starts in flight end within their engine calls' deadlines; removals within theirs. A bound all the same. */
    private static final Duration REMOVAL_WAIT = Duration.ofMinutes(2);

    private final Pools pools;
    private final Spares spares;
    private final ColdStart coldStart;
    private final Retirement retirement;
    private final EffectRunner runner;
    private final EventLoopGroup group;

    Shutdown(Pools pools, Spares spares, ColdStart coldStart, Retirement retirement, EffectRunner runner,
             EventLoopGroup group) {
        this.pools = pools;
        this.spares = spares;
        this.coldStart = coldStart;
        this.retirement = retirement;
        this.runner = runner;
        this.group = group;
    }

    CompletableFuture<Void> run(Duration drain) {
        for (ServicePool pool : pools.all()) {
            runner.decide(pool, pool::close);
        }
        CompletableFuture<Void> sparesGone = spares.discardAll();
        coldStart.close();
        return until(() -> pools.inFlight() == 0, drain, "requests still in flight after the drain time")
                .thenCompose(v -> {
                    for (ServicePool pool : pools.all()) {
                        runner.decide(pool, pool::removeAll);
                    }
                    return until(() -> coldStart.idle() && pools.allEmpty(), REMOVAL_WAIT, "instances still starting");
                })
                .thenCompose(v -> CompletableFuture.allOf(sparesGone, retirement.retryUnremoved())
                        .completeOnTimeout(null, REMOVAL_WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .thenRun(() -> {
                    int left = retirement.unremovedCount();
                    if (left == 0) {
                        log.info("All managed containers stopped and removed");
                    } else {
                        log.warn("{} managed container(s) could not be removed; the next start removes them", left);
                    }
                });
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
