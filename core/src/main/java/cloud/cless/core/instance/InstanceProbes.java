package cloud.cless.core.instance;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The readiness wait of an instance coming up: its probe is kept on the instance, so that whatever ends the start
 * early (its container or task exits, cless shuts down) cancels it through {@link Instance#probe}.
 */
final class InstanceProbes {

    private InstanceProbes() {
    }

    /**
     * Probes {@code instance} at its address until it answers or {@code left} passes; fails at once when it exited
     * or {@code stopped} holds already.
     */
    static CompletableFuture<Void> awaitReady(ReadinessProbe probe, EventLoop loop, Instance instance,
                                              String readinessPath, Duration left, BooleanSupplier stopped) {
        if (stopped.getAsBoolean() || instance.exited) {
            return CompletableFuture.failedFuture(new CancellationException("no readiness wait"));
        }
        Future<Void> probing = probe.probe(loop, instance.address(), readinessPath,
                left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left);
        instance.probe = probing;
        if (instance.exited || stopped.getAsBoolean()) {
            probing.cancel(false); // it ended (or shutdown began) before the probe did: nobody else cancels it
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        probing.addListener(f -> {
            instance.probe = null;
            if (f.isSuccess()) {
                ready.complete(null);
            } else {
                ready.completeExceptionally(f.cause());
            }
        });
        return ready;
    }

    /** Stops the readiness wait of {@code instance}, if one runs: its start fails now, not at its deadline. */
    static void cancel(Instance instance) {
        Future<Void> probing = instance.probe;
        if (probing != null) {
            probing.cancel(false);
        }
    }
}
