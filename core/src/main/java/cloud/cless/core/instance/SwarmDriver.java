package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.runtime.swarm.SwarmApi;
import cloud.cless.core.runtime.swarm.SwarmRevisions;
import cloud.cless.core.runtime.swarm.SwarmService;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.service.ContainerTemplate;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ScalingSettings;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle on a Docker Swarm: a revision is a Swarm service ({@link SwarmRevisions}), made at zero replicas as
 * soon as the revision serves (the swarm's spare: a cold start is only a scale), its instances are the service's
 * tasks. A start raises the replicas ({@link SwarmStarts}); an idle instance that the pool reaps lowers them by one,
 * and the task Swarm picks is reported draining and drains here; tasks that run, drain, end or fail are told to
 * the pool of their revision. A revision that serves no more has its service removed once its instances drained
 * (at most the drain timeout). Swarm cannot pause a task: {@code idle_action} pause runs as stop. On shutdown the
 * services stay: other replicas may serve them, and the next start adopts their tasks.
 */
final class SwarmDriver implements InstanceDriver {
    private static final Logger log = LoggerFactory.getLogger(SwarmDriver.class);
    private static final long RETRY_FIRST_MILLIS = EngineWatch.RETRY_FIRST_MILLIS;
    private static final long RETRY_MAX_MILLIS = EngineWatch.RETRY_MAX_MILLIS;
    private static final long SWEEP_MILLIS = 1_000;

    private final SwarmSettings settings;
    private final EventLoopGroup group;
    private final String installationId;
    private final Pools pools;
    private final ServiceDirectory services;
    private final int stopGraceSeconds;
    private final SwarmRevisions revisions;
    private final SwarmStarts starts;
    private final RetiredServices retired;
    private final TaskReports reports;
    /** Revisions whose pause was turned into a stop, so that it is said once. */
    private final Set<String> pauseToldOf = ConcurrentHashMap.newKeySet();
    private volatile EffectRunner runner;
    private volatile ScheduledFuture<?> sweeps;
    /** Why the swarm is not reconciled yet (the first reconcile is tried until it works), or null once it is. */
    private volatile RuntimeFailure unreconciled = new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
            "the swarm is not reconciled yet", null);
    private volatile boolean toldUnreconciled;
    private volatile boolean closed;

    /** @param gate consulted before every start */
    SwarmDriver(SwarmApi swarm, SwarmSettings settings, ReadinessProbe probe, EventLoopGroup group,
                String installationId, Pools pools, ServiceDirectory services, int stopGraceSeconds, StartGate gate) {
        this.settings = settings;
        this.group = group;
        this.installationId = installationId;
        this.pools = pools;
        this.services = services;
        this.stopGraceSeconds = stopGraceSeconds;
        this.reports = new TaskReports(pools);
        this.revisions = new SwarmRevisions(swarm, group, installationId, settings.polling(), reports);
        this.starts = new SwarmStarts(revisions, probe, group, this::serviceSpec, this::down, gate,
                settings.leaderScales() ? 1 : Integer.MAX_VALUE);
        this.retired = new RetiredServices(revisions, pools, this::serves, settings.drainTimeout(),
                pool -> runner.decide(pool, pool::removeAll));
        reports.attach(starts, retired);
    }

    // ---- the engine ----

    @Override
    public CompletableFuture<Void> watch(EffectRunner runner, Runnable reconciled) {
        this.runner = runner;
        reports.actOn(runner);
        CompletableFuture<Void> first = new CompletableFuture<>();
        reconcile(first, reconciled, RETRY_FIRST_MILLIS);
        return first;
    }

    /** Adopts the tasks of revisions that serve and removes the services of the rest; tried until it works. */
    private void reconcile(CompletableFuture<Void> first, Runnable reconciled, long retryMillis) {
        if (closed) {
            first.complete(null);
            return;
        }
        revisions.reconcile(this::serves).whenComplete((adopted, error) -> {
            if (error == null) {
                unreconciled = null;
                revisions.start();
                sweeps = schedule(retired::sweep, SWEEP_MILLIS, true);
                log.info("Reconciled the swarm at {}: {} service(s) of serving revisions kept", installationId,
                        adopted.size());
                reconciled.run();
            } else {
                Throwable cause = Failures.unwrap(error);
                unreconciled = cause instanceof RuntimeFailure failure ? failure
                        : new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE, cause.getMessage(), cause);
                if (!toldUnreconciled) {
                    toldUnreconciled = true;
                    log.warn("Cannot reconcile the swarm ({}); cold starts fail with 503 until it answers, trying"
                            + " again in the background", cause.getMessage());
                }
                schedule(() -> reconcile(first, reconciled, Math.min(retryMillis * 2, RETRY_MAX_MILLIS)), retryMillis,
                        false);
            }
            first.complete(null);
        });
    }

    /** Why the swarm cannot be used now, or null. */
    private RuntimeFailure down() {
        RuntimeFailure notYet = unreconciled;
        return notYet != null ? notYet : revisions.down();
    }

    @Override
    public boolean isUp() {
        return down() == null;
    }

    @Override
    public int unremoved() {
        return 0;
    }

    /**
     * Swarm has no pause for a task: an idle instance of a revision that asks for one is stopped instead. When a
     * leader scales the revisions, this cless reaps no idle instance itself: the leader lowers the replicas once
     * every replica has reported the revision idle, and the tasks Swarm takes away drain here.
     */
    @Override
    public ResolvedService fit(ResolvedService spec) {
        ScalingSettings scaling = spec.scaling();
        if (scaling.idleAction() == IdleAction.PAUSE) {
            if (pauseToldOf.add(spec.revision())) {
                log.warn("Service {} (revision {}) has idle_action pause, which the swarm runtime cannot do: its"
                        + " idle instances stop instead", spec.name(), spec.revision());
            }
            scaling = scaling.withIdleAction(IdleAction.STOP);
        }
        if (settings.leaderScales()) {
            scaling = scaling.withIdleTimeout(ScalingSettings.NEVER_IDLE);
        }
        return spec.withScaling(scaling);
    }

    // ---- one revision's instances ----

    @Override
    public void start(ServicePool pool, Instance instance, EffectRunner runner) {
        retired.track(pool.service(), pool.key());
        starts.start(pool, instance, runner);
    }

    /** An idle instance the pool reaps is one replica fewer; any other that goes makes its revision's polls look. */
    @Override
    public void retire(ServicePool pool, Effects.Retire retire) {
        Instance instance = retire.instance();
        if (!instance.startRetiring() || instance.boundAddress() == null) {
            return; // a start that never got a task: nothing of it on the swarm
        }
        if (retire.reaped()) {
            log.info("Letting idle task {} of service {} (revision {}) go: one replica fewer", instance.id,
                    instance.service, instance.revision);
            revisions.letGo(instance.revision, instance.id);
        } else if (!closed) {
            revisions.suspect(instance.revision);
        }
    }

    @Override
    public void pause(ServicePool pool, Instance instance, EffectRunner runner) {
        runner.decide(pool, fx -> pool.paused(instance, false, fx)); // fit() keeps this from being asked
    }

    @Override
    public void resume(ServicePool pool, Instance instance, EffectRunner runner) {
        runner.decide(pool, fx -> pool.resumeFailed(instance, fx));
    }

    /** A revision that serves has its service, at zero replicas while nothing runs, ready for its first start. */
    @Override
    public void defined(ServicePool pool) {
        prepare(pool);
    }

    @Override
    public void maintained(ServicePool pool) {
        prepare(pool);
    }

    private void prepare(ServicePool pool) {
        if (closed || !isUp()) {
            return;
        }
        retired.track(pool.service(), pool.key());
        revisions.prepare(serviceSpec(pool.spec())).whenComplete((id, error) -> {
            if (error != null) {
                log.debug("Could not make swarm service of revision {} ahead of its first start: {}", pool.key(),
                        Failures.unwrap(error).getMessage());
            }
        });
    }

    @Override
    public void withdrawn(String revision, String reason) {
        // Its service goes once the revision serves nothing and its instances drained: see RetiredServices.
    }

    @Override
    public void serviceDeleted(String service) {
        // As withdrawn: each revision's service goes once its instances drained.
    }

    // ---- shutdown ----

    @Override
    public CompletableFuture<Void> closing() {
        closed = true;
        reports.close();
        starts.close();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean starting() {
        return !starts.idle();
    }

    @Override
    public CompletableFuture<Void> settle() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void finished() {
        log.info("The swarm services of installation {} stay as they are: the next start adopts their tasks, which"
                + " scale to zero once idle", installationId);
    }

    @Override
    public void close() {
        closed = true;
        reports.close();
        ScheduledFuture<?> sweeping = sweeps;
        if (sweeping != null) {
            sweeping.cancel(false);
        }
        revisions.close();
    }

    // ---- what the polls find ----

    /**
     * Whether the revision of a Swarm service found on the swarm serves now (a percent or a tag, not upstream); one
     * that does is looked after from now on (its tasks are adopted as they are reported).
     */
    private boolean serves(SwarmService found) {
        Map<String, String> labels = found.labels();
        boolean serves = serves(labels.get(ContainerLabels.SERVICE), labels.get(ContainerLabels.REVISION));
        if (serves) {
            retired.track(found);
        }
        return serves;
    }

    private boolean serves(String serviceName, String revision) {
        RegisteredService service = serviceName == null ? null : services.service(serviceName);
        Optional<Revision> found = service == null || revision == null ? Optional.empty() : service.revision(revision);
        return found.isPresent() && !found.get().spec().isUpstream()
                && Serving.of(service, revision) != Serving.NONE;
    }

    /** The Swarm service of a revision: its container, this installation's labels, no replicas until asked. */
    private SwarmServiceSpec serviceSpec(ResolvedService spec) {
        ContainerTemplate container = spec.container();
        return new SwarmServiceSpec(spec.name(), spec.revision(), installationId, container.image(), container.port(),
                container.env(), container.memoryMb(), container.cpus(), 0, Duration.ofSeconds(stopGraceSeconds),
                List.of());
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayMillis, boolean repeat) {
        if (closed) {
            return null;
        }
        try {
            return repeat ? group.next().scheduleWithFixedDelay(task, delayMillis, delayMillis, TimeUnit.MILLISECONDS)
                    : group.next().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException loopsGone) {
            return null; // shutting down
        }
    }
}
