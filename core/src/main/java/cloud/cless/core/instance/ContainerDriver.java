package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.service.ResolvedService;
import io.netty.channel.EventLoopGroup;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle on a container engine ({@link ContainerRuntime}, the Docker engine): an instance is a container
 * that cless creates (or takes from the revision's spare), starts, probes, pauses, stops and removes itself, on a
 * host port of 127.0.0.1 it allocated. Wires the parts that do each: {@link ColdStart}, {@link Spares},
 * {@link PauseResume}, {@link Retirement}, and the {@link EngineWatch} whose listings and events
 * {@link EngineReports} hands to {@link Reconciler} and the pools.
 */
final class ContainerDriver implements InstanceDriver {
    private static final Logger log = LoggerFactory.getLogger(ContainerDriver.class);

    private final HostPorts ports;
    private final Pools pools;
    private final ServiceDirectory services;
    private final EngineWatch engine;
    private final Retirement retirement;
    private final Spares spares;
    private final ColdStart coldStart;
    private final PauseResume pauseResume;

    /**
     * @param control   runs port allocation (its bind checks are syscalls), off the event loops
     * @param mayCreate whether containers may be created now (reconciled, engine up, gate open, cless running)
     * @param gate      consulted before every start
     */
    ContainerDriver(ContainerRuntime runtime, HostPorts ports, Executor control, ReadinessProbe probe,
                    EventLoopGroup group, String installationId, Clock clock, Supplier<String> ids,
                    InstanceManagerConfig config, Pools pools, ServiceDirectory services, BooleanSupplier mayCreate,
                    StartGate gate) {
        this.ports = ports;
        this.pools = pools;
        this.services = services;
        this.engine = new EngineWatch(runtime, installationId, group, clock, config.surveyInterval());
        this.retirement = new Retirement(runtime, ports, config.stopGraceSeconds(), engine::failed);
        this.spares = new Spares(runtime, ports, control, installationId, clock, ids, retirement, mayCreate,
                engine::failed);
        this.coldStart = new ColdStart(runtime, ports, control, probe, group, installationId, ids, spares, engine,
                retirement, gate);
        this.pauseResume = new PauseResume(runtime, engine);
    }

    /** The engine watch, for tests that check the engine at once instead of waiting for its backoff. */
    EngineWatch engine() {
        return engine;
    }

    @Override
    public CompletableFuture<Void> watch(EffectRunner runner, Runnable reconciled) {
        Reconciler reconciler = new Reconciler(pools, services, ports, coldStart, spares, retirement, runner);
        return engine.start(new EngineReports(ports, retirement, reconciler, pools, spares, coldStart, runner,
                reconciled));
    }

    @Override
    public boolean isUp() {
        return engine.isUp();
    }

    @Override
    public int unremoved() {
        return retirement.unremovedCount();
    }

    @Override
    public ResolvedService fit(ResolvedService spec) {
        return spec;
    }

    @Override
    public void start(ServicePool pool, Instance instance, EffectRunner runner) {
        coldStart.start(pool, instance, runner);
    }

    @Override
    public void retire(ServicePool pool, Effects.Retire retire) {
        retirement.retire(retire.instance(), retire.graceful(), retire.reason());
    }

    @Override
    public void pause(ServicePool pool, Instance instance, EffectRunner runner) {
        pauseResume.pause(pool, instance, runner);
    }

    @Override
    public void resume(ServicePool pool, Instance instance, EffectRunner runner) {
        pauseResume.resume(pool, instance, runner);
    }

    /** A revision with a share of the traffic gets its spare (one that failed may be tried again). */
    @Override
    public void defined(ServicePool pool) {
        if (pool.wantsSpare()) {
            spares.defined(pool);
        }
    }

    @Override
    public void maintained(ServicePool pool) {
        spares.replenish(pool);
    }

    @Override
    public void withdrawn(String revision, String reason) {
        spares.discard(revision, reason);
    }

    @Override
    public void serviceDeleted(String service) {
        spares.serviceDeleted(service);
    }

    @Override
    public CompletableFuture<Void> closing() {
        CompletableFuture<Void> sparesGone = spares.discardAll();
        coldStart.close();
        return sparesGone;
    }

    @Override
    public boolean starting() {
        return !coldStart.idle();
    }

    @Override
    public CompletableFuture<Void> settle() {
        return retirement.retryUnremoved();
    }

    @Override
    public void finished() {
        int left = retirement.unremovedCount();
        if (left == 0) {
            log.info("All managed containers stopped and removed");
        } else {
            log.warn("{} managed container(s) could not be removed; the next start removes them", left);
        }
    }

    @Override
    public void close() {
        engine.close();
    }
}
