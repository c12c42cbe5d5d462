package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ResolvedService;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a new instance of a revision up: takes the revision's spare container (or allocates a port and creates
 * one), starts it, and awaits readiness, all within the service's startup timeout, which counts from the first step:
 * an engine that does not answer ends the start at that deadline (504), or earlier once it is known to be down
 * (503). A start whose host port turns out to be taken on the engine is tried once more on another port. The
 * outcome goes to the pool; a failure is logged here, once, with the service, the revision and the image.
 */
final class ColdStart {
    private static final Logger log = LoggerFactory.getLogger(ColdStart.class);

    private final ContainerRuntime runtime;
    private final HostPorts ports;
    private final Executor control;
    private final ReadinessProbe probe;
    private final EventLoopGroup group;
    private final String installationId;
    private final Supplier<String> newInstanceId;
    private final Spares spares;
    private final EngineWatch engine;
    private final Retirement retirement;
    private final StartGate gate;
    private final Set<Attempt> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ColdStart(ContainerRuntime runtime, HostPorts ports, Executor control, ReadinessProbe probe, EventLoopGroup group,
              String installationId, Supplier<String> newInstanceId, Spares spares, EngineWatch engine,
              Retirement retirement, StartGate gate) {
        this.runtime = runtime;
        this.ports = ports;
        this.control = control;
        this.probe = probe;
        this.group = group;
        this.installationId = installationId;
        this.newInstanceId = newInstanceId;
        this.spares = spares;
        this.engine = engine;
        this.retirement = retirement;
        this.gate = gate;
    }

    /** One start: its deadline, and whether it ended (it ends once, by whichever comes first). */
    private final class Attempt {
        final ServicePool pool;
        final Instance instance;
        final ResolvedService spec;
        final EffectRunner runner;
        final long beganNanos = System.nanoTime();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile ScheduledFuture<?> deadline;
        boolean retriedOnAnotherPort;

        Attempt(ServicePool pool, Instance instance, EffectRunner runner) {
            this.pool = pool;
            this.instance = instance;
            this.spec = pool.spec();
            this.runner = runner;
        }

        boolean over() {
            return ended.get();
        }

        Duration left() {
            return spec.startupTimeout().minusNanos(System.nanoTime() - beganNanos);
        }
    }

    /** Starts {@code instance} of {@code pool}; its waiters hear of the outcome through the pool. */
    void start(ServicePool pool, Instance instance, EffectRunner runner) {
        Attempt attempt = new Attempt(pool, instance, runner);
        AcquireFailure refused = refusal(attempt);
        if (refused != null) {
            instance.settled.complete(null);
            pool.meters().coldStartFailed(reason(refused));
            runner.decide(pool, fx -> pool.startFailed(instance, refused, fx));
            return;
        }
        inFlight.add(attempt);
        try {
            attempt.deadline = group.next().schedule(() -> end(attempt, new TimeoutException()),
                    attempt.spec.startupTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException loopsGone) {
            instance.settled.complete(null);
            end(attempt, new CancellationException("the event loops are shut down"));
            return;
        }
        container(attempt)
                .thenCompose(containerId -> attempt.over() ? CompletableFuture.<Void>completedFuture(null)
                        : startContainer(attempt, containerId))
                .whenComplete((v, err) -> instance.settled.complete(null))
                .thenCompose(v -> attempt.over() ? CompletableFuture.<Void>completedFuture(null) : awaitReady(attempt))
                .whenComplete((v, err) -> end(attempt, err));
    }

    /**
     * Why {@code attempt} must fail before it begins, or null: cless is shutting down, or the engine is known to be
     * down, or the start gate is closed. Failing now (503) beats letting every request wait; the outage is logged
     * where it was noticed.
     */
    private AcquireFailure refusal(Attempt attempt) {
        if (closed) {
            return StartFailures.of(attempt.instance, attempt.spec, new CancellationException());
        }
        RuntimeFailure down = engine.down();
        if (down != null) {
            return StartFailures.engineDown(attempt.pool.service(), down);
        }
        String gateClosed = gate.refusal();
        return gateClosed == null ? null : StartFailures.refused(attempt.pool.service(), gateClosed);
    }

    /**
     * Probes a running container left from an earlier run, adopted as {@code instance}: it joins the pool once it
     * answers, and goes when it does not. Completes once that is decided.
     */
    CompletableFuture<Void> adopt(ServicePool pool, Instance instance, EffectRunner runner) {
        Attempt attempt = new Attempt(pool, instance, runner);
        return awaitReady(attempt).handle((v, err) -> {
            if (err == null) {
                log.info("Adopted container {} ({}) of service {} (revision {}) on port {}", instance.containerName(),
                        Instance.shortId(instance.containerId), pool.service(), pool.key(), instance.hostPort);
                runner.decide(pool, fx -> pool.ready(instance, fx));
            } else {
                AcquireFailure failure = StartFailures.of(instance, attempt.spec, err);
                log.info("Container {} left from an earlier run does not answer; removing it: {}",
                        instance.containerName(), failure.getMessage());
                runner.decide(pool, fx -> pool.startFailed(instance, failure, fx));
            }
            return null;
        });
    }

    /** The container of a starting instance exited: its start fails now, not at its deadline. */
    void exited(Instance instance) {
        InstanceProbes.cancel(instance);
    }

    /** cless shuts down: no new start begins, and the probes of those in flight stop (their starts fail). */
    void close() {
        closed = true;
        for (Attempt attempt : inFlight) {
            exited(attempt.instance);
        }
    }

    /** Whether no start is in flight. */
    boolean idle() {
        return inFlight.isEmpty();
    }

    /** The claimed spare's container (waiting for its creation if that is still in flight), else a new one. */
    private CompletableFuture<String> container(Attempt attempt) {
        Instance instance = attempt.instance;
        Spares.Spare spare = spares.take(attempt.pool.key(), instance.template);
        if (spare == null) {
            return create(attempt);
        }
        spares.replenish(attempt.pool);
        return spare.created.handle((containerId, err) -> {
            if (err != null) {
                log.debug("Spare {} of service {} was not created, creating a container instead: {}",
                        spare.containerName(), spare.service, Failures.unwrap(err).getMessage());
                return create(attempt);
            }
            // The instance takes the spare over: its id (the container's name and labels carry it) and its port.
            instance.id = spare.id;
            instance.hostPort = spare.hostPort;
            instance.createSent = true;
            instance.containerId = containerId;
            return CompletableFuture.completedFuture(containerId);
        }).thenCompose(created -> created);
    }

    /** Allocates a port (the bind checks are syscalls: on the control executor) and creates the container. */
    private CompletableFuture<String> create(Attempt attempt) {
        Instance instance = attempt.instance;
        return CompletableFuture.supplyAsync(ports::allocate, control).thenCompose(port -> {
            instance.hostPort = port;
            if (attempt.over()) {
                return CompletableFuture.failedFuture(new CancellationException("start is over"));
            }
            instance.createSent = true;
            return runtime.create(ContainerSpec.forInstance(installationId, instance.service, instance.revision,
                    instance.id, instance.template, port));
        }).thenApply(containerId -> {
            instance.containerId = containerId;
            return containerId;
        });
    }

    /** Starts the container; when its port is taken on the engine, once more in a new container on another port. */
    private CompletableFuture<Void> startContainer(Attempt attempt, String containerId) {
        return runtime.start(containerId).exceptionallyCompose(err -> {
            Throwable cause = Failures.unwrap(err);
            if (!RuntimeFailure.is(cause, RuntimeFailure.Kind.PORT_TAKEN) || attempt.retriedOnAnotherPort
                    || attempt.over()) {
                return CompletableFuture.failedFuture(cause);
            }
            attempt.retriedOnAnotherPort = true;
            Instance instance = attempt.instance;
            int taken = instance.hostPort;
            log.info("Host port {} of instance {} of {} is taken on the engine; starting it on another port",
                    taken, instance.id, instance.revision);
            ports.conflicted(taken);
            retirement.retire(new Retirement.Target("instance " + instance.id, instance.service,
                    instance.containerName(), containerId, taken, true), false, "its host port was taken");
            instance.id = newInstanceId.get(); // a new container, a new name
            instance.containerId = null;
            instance.hostPort = -1;
            return create(attempt).thenCompose(runtime::start);
        });
    }

    private CompletableFuture<Void> awaitReady(Attempt attempt) {
        return InstanceProbes.awaitReady(probe, group.next(), attempt.instance, attempt.spec.readinessPath(),
                attempt.left(), () -> closed);
    }

    /** Ends {@code attempt} the first time only: with success when {@code error} is null. */
    private void end(Attempt attempt, Throwable error) {
        if (!attempt.ended.compareAndSet(false, true)) {
            return;
        }
        inFlight.remove(attempt);
        ScheduledFuture<?> deadline = attempt.deadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
        Instance instance = attempt.instance;
        ServicePool pool = attempt.pool;
        long nanos = System.nanoTime() - attempt.beganNanos;
        if (error == null) {
            pool.meters().coldStarted(nanos);
            spares.startSucceeded(pool.key()); // what failed before (a missing image, say) works now
            spares.replenish(pool);
            log.info("Cold start of service {} (revision {}): instance {}, container {} ready in {} ms",
                    pool.service(), pool.key(), instance.id, Instance.shortId(instance.containerId),
                    TimeUnit.NANOSECONDS.toMillis(nanos));
            attempt.runner.decide(pool, fx -> pool.ready(instance, fx));
            return;
        }
        exited(instance); // a probe still running (the deadline passed) stops
        AcquireFailure failure = StartFailures.of(instance, attempt.spec, error);
        log.warn("Cold start of service {} (revision {}, instance {}, image {}) failed: {}", pool.service(),
                pool.key(), instance.id, instance.template.image(), failure.getMessage());
        engine.failed(Failures.unwrap(error)); // before the waiters hear of it: their retries fail fast
        pool.meters().coldStartFailed(reason(failure));
        attempt.runner.decide(pool, fx -> pool.startFailed(instance, failure, fx));
    }

    private static String reason(AcquireFailure failure) {
        return failure.reason().name().toLowerCase(Locale.ROOT);
    }
}
