package cloud.cless.core.instance;

import cloud.cless.core.service.ResolvedService;
import java.util.concurrent.CompletableFuture;

/**
 * The engine side of the instance lifecycle, one per kind of runtime. The pools decide how many instances each
 * revision has, which request goes where and which idle instance goes; a driver makes that so on its engine and
 * tells the pools what it finds there. The pools and the policies know nothing of how: containers created and
 * started one by one ({@link ContainerDriver}: spares, pause, a port per container), or a desired replica count
 * per revision that the engine carries out by itself ({@link SwarmDriver}: tasks appear, and the engine picks the
 * one that goes).
 *
 * <p>Every call returns at once; engine work runs on the runtime's executors, and outcomes go back to the pool
 * through the {@link EffectRunner}.
 */
interface InstanceDriver {

    // ---- the engine ----

    /**
     * Begins watching the engine. Completes (never exceptionally) once what an earlier run left was adopted or
     * removed, or once the engine was found unreachable (it is checked again in the background, and
     * {@code reconciled} runs once that is done).
     */
    CompletableFuture<Void> watch(EffectRunner runner, Runnable reconciled);

    /** Whether the engine answers: new instances may be made. */
    boolean isUp();

    /** Engine objects whose removal failed and is retried. */
    int unremoved();

    /** What the pools run {@code spec} with on this engine (what it cannot do is done as it can). */
    ResolvedService fit(ResolvedService spec);

    // ---- one revision's instances ----

    /** Brings a new instance up for the starting {@code instance} of {@code pool}; the pool hears how it went. */
    void start(ServicePool pool, Instance instance, EffectRunner runner);

    /** An instance left its pool for good (see {@link Effects.Retire}). */
    void retire(ServicePool pool, Effects.Retire retire);

    /** Freezes an idle instance the pool marked {@code PAUSING}; the pool hears whether it happened. */
    void pause(ServicePool pool, Instance instance, EffectRunner runner);

    /** Thaws a paused instance for the requests waiting for it. */
    void resume(ServicePool pool, Instance instance, EffectRunner runner);

    /** The revision of {@code pool} serves, with its settings and role as the pool has them now. */
    void defined(ServicePool pool);

    /** Every reap interval, after {@code pool} was maintained: what makes its next start quick is kept ready. */
    void maintained(ServicePool pool);

    /** {@code revision} has no share of the traffic any more (a tag only, none, or it is deleted). */
    void withdrawn(String revision, String reason);

    /** The service and its revisions were deleted. */
    void serviceDeleted(String service);

    // ---- shutdown ----

    /** cless shuts down: no new instance is made; completes once what was made ahead of need is gone. */
    CompletableFuture<Void> closing();

    /** Whether a start is still in flight. */
    boolean starting();

    /** Once every pool is empty: what is left to settle (failed removals tried again); completes when tried. */
    CompletableFuture<Void> settle();

    /** Shutdown is over (settled, or out of time): says what was left behind. */
    void finished();

    /** Stops watching the engine. */
    void close();
}
