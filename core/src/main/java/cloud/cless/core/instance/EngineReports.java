package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.EngineSurvey;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link EngineWatch} reports, handed to the parts it concerns: the ports the engine holds to the port
 * allocator, the listing to retirement (failed removals) and to reconcile, a container's death to its pool.
 */
final class EngineReports implements EngineWatch.Listener {
    private static final Logger log = LoggerFactory.getLogger(EngineReports.class);

    private final HostPorts ports;
    private final Retirement retirement;
    private final Reconciler reconciler;
    private final Pools pools;
    private final Spares spares;
    private final ColdStart coldStart;
    private final EffectRunner runner;
    private final Runnable reconciled;
    private volatile boolean adopted;

    /** @param reconciled called once the first listing's containers were adopted or removed */
    EngineReports(HostPorts ports, Retirement retirement, Reconciler reconciler, Pools pools, Spares spares,
                  ColdStart coldStart, EffectRunner runner, Runnable reconciled) {
        this.ports = ports;
        this.retirement = retirement;
        this.reconciler = reconciler;
        this.pools = pools;
        this.spares = spares;
        this.coldStart = coldStart;
        this.runner = runner;
        this.reconciled = reconciled;
    }

    @Override
    public CompletableFuture<Void> surveyed(EngineSurvey survey, long listedAtMillis) {
        ports.engineHolds(survey.takenPorts());
        retirement.surveyed(survey);
        if (!adopted) {
            return reconciler.adoptOrRemove(survey.managed()).thenRun(() -> {
                adopted = true;
                reconciled.run();
            });
        }
        reconciler.reconcile(survey.managed(), listedAtMillis);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void containerEvent(ContainerEvent event) {
        if (event.kind() == ContainerEvent.Kind.OOM) {
            // The die that follows, if the main process was the victim, removes the instance.
            log.warn("Container {} of service {} hit its memory limit", Instance.shortId(event.containerId()),
                    event.service());
            return;
        }
        for (ServicePool pool : pools.all()) {
            Instance[] gone = new Instance[1];
            runner.decide(pool, fx -> gone[0] = pool.containerGone(event.containerId(), fx));
            Instance instance = gone[0];
            if (instance == null) {
                continue;
            }
            if (instance.exited) {
                coldStart.exited(instance); // its start fails now, and that failure is logged with the image
            } else {
                log.warn("Container {} of instance {} of service {} (revision {}) {} while cless runs; removing it",
                        Instance.shortId(event.containerId()), instance.id, pool.service(), pool.key(),
                        event.kind() == ContainerEvent.Kind.DESTROYED ? "was removed" : "exited");
            }
            return;
        }
        spares.containerGone(event.containerId());
    }
}
