package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerRuntime;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only caller of the engine's pause and unpause. The pool decides in one order (an idle instance becomes
 * {@code PAUSING} before its pause is asked for; an unpause is asked for only once the pause is recorded), so the
 * two calls for one container never race. A resumed instance takes requests at once, without a readiness probe:
 * its app was listening when it was frozen, and connections made meanwhile wait in its socket's backlog.
 */
final class PauseResume {
    private static final Logger log = LoggerFactory.getLogger(PauseResume.class);

    private final ContainerRuntime runtime;
    private final EngineWatch engine;

    PauseResume(ContainerRuntime runtime, EngineWatch engine) {
        this.runtime = runtime;
        this.engine = engine;
    }

    /** Pauses an idle instance the pool marked {@code PAUSING}; the pool hears whether it happened. */
    void pause(ServicePool pool, Instance instance, EffectRunner runner) {
        log.info("Pausing idle instance {} of service {} (container {})", instance.id, instance.service,
                Instance.shortId(instance.containerId));
        runtime.pause(instance.containerId).whenComplete((v, err) -> {
            if (err != null) {
                log.warn("Could not pause container {} of service {}; it keeps running: {}", instance.containerName(),
                        instance.service, Failures.unwrap(err).getMessage());
                engine.failed(err);
            }
            runner.decide(pool, fx -> pool.paused(instance, err == null, fx));
        });
    }

    /** Unpauses a paused instance for its waiters; when that fails it goes and they get another instance. */
    void resume(ServicePool pool, Instance instance, EffectRunner runner) {
        long began = System.nanoTime();
        runtime.unpause(instance.containerId).whenComplete((v, err) -> {
            if (err == null) {
                log.info("Resumed paused instance {} of service {} (container {}) in {} ms", instance.id,
                        instance.service, Instance.shortId(instance.containerId),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
                runner.decide(pool, fx -> pool.ready(instance, fx));
            } else {
                log.warn("Could not unpause container {} of service {}; removing it and starting another: {}",
                        instance.containerName(), instance.service, Failures.unwrap(err).getMessage());
                engine.failed(err);
                runner.decide(pool, fx -> pool.resumeFailed(instance, fx));
            }
        });
    }
}
