package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ContainerTemplate;
import cloud.cless.core.service.ResolvedService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container per revision that has a share of the traffic, created ahead of need but not started, so that a
 * cold start is only a start and the readiness wait. Made once containers left from an earlier run are
 * reconciled, when a revision gets traffic, and again whenever one is taken. A spare whose creation failed for a
 * reason other than an unreachable engine is not tried again until a start succeeds or the service is written
 * again, so a missing image is not pulled in a loop.
 */
final class Spares {
    private static final Logger log = LoggerFactory.getLogger(Spares.class);

    /** A created (or being created) container; it holds its host port from the moment its creation begins. */
    static final class Spare {
        final String id;
        final String service;
        final String revision;
        final ContainerTemplate template;
        /** Completes with the container id once it exists, or exceptionally when creating it failed. */
        final CompletableFuture<String> created = new CompletableFuture<>();
        volatile int hostPort = -1;
        /** When the container came to exist; until then the largest value, so no listing can miss it. */
        volatile long createdAtMillis = Long.MAX_VALUE;

        Spare(String id, String service, String revision, ContainerTemplate template) {
            this.id = id;
            this.service = service;
            this.revision = revision;
            this.template = template;
        }

        String containerName() {
            return ContainerSpec.name(service, id);
        }

        String containerId() {
            return created.isDone() && !created.isCompletedExceptionally() ? created.join() : null;
        }
    }

    /** One revision's spare, and whether making one failed. */
    private static final class Slot {
        final String service;
        Spare spare;
        boolean failed;

        Slot(String service) {
            this.service = service;
        }
    }

    private final ContainerRuntime runtime;
    private final HostPorts ports;
    private final Executor control;
    private final String installationId;
    private final Clock clock;
    private final Supplier<String> newInstanceId;
    private final Retirement retirement;
    private final BooleanSupplier mayCreate;
    private final Consumer<Throwable> engineFailed;
    private final Map<String, Slot> slots = new HashMap<>(); // by revision, guarded by this
    private boolean closed; // guarded by this

    Spares(ContainerRuntime runtime, HostPorts ports, Executor control, String installationId, Clock clock,
           Supplier<String> newInstanceId, Retirement retirement, BooleanSupplier mayCreate,
           Consumer<Throwable> engineFailed) {
        this.runtime = runtime;
        this.ports = ports;
        this.control = control;
        this.installationId = installationId;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.retirement = retirement;
        this.mayCreate = mayCreate;
        this.engineFailed = engineFailed;
    }

    /**
     * Makes the spare of {@code pool}'s revision when the pool wants one (its revision has a percent), it has none,
     * none failed, and containers may be created now. The pool is asked under this lock, so a revision that loses
     * its traffic (its pool's role changes first, then its spare is discarded) is never left with one.
     */
    void replenish(ServicePool pool) {
        if (!mayCreate.getAsBoolean()) {
            return;
        }
        Spare spare;
        synchronized (this) {
            ResolvedService revision = pool.spec();
            if (closed || !pool.wantsSpare()) {
                return;
            }
            Slot slot = slots.computeIfAbsent(revision.revision(), r -> new Slot(revision.name()));
            if (slot.spare != null || slot.failed) {
                return;
            }
            spare = new Spare(newInstanceId.get(), revision.name(), revision.revision(), revision.container());
            slot.spare = spare;
        }
        create(spare);
    }

    /** Takes the spare of {@code revision} if it is made from {@code template}; the caller owns it from now on. */
    synchronized Spare take(String revision, ContainerTemplate template) {
        Slot slot = slots.get(revision);
        if (slot == null || slot.spare == null || !slot.spare.template.equals(template)) {
            return null;
        }
        Spare spare = slot.spare;
        slot.spare = null;
        return spare;
    }

    /** The service of {@code pool}'s revision, which has traffic, was written: a spare that failed may be tried. */
    void defined(ServicePool pool) {
        synchronized (this) {
            slots.computeIfAbsent(pool.key(), r -> new Slot(pool.service())).failed = false;
        }
        replenish(pool);
    }

    /** A start of {@code revision} worked: what failed before (a missing image, say) works now. */
    synchronized void startSucceeded(String revision) {
        Slot slot = slots.get(revision);
        if (slot != null) {
            slot.failed = false;
        }
    }

    /** {@code revision} has no share of the traffic any more, or is gone: its spare goes. */
    void discard(String revision, String reason) {
        Slot slot;
        synchronized (this) {
            slot = slots.remove(revision);
        }
        discardSpare(slot == null ? null : slot.spare, reason);
    }

    /** The service was deleted: the spares of its revisions go. */
    void serviceDeleted(String service) {
        List<Spare> gone = new ArrayList<>();
        synchronized (this) {
            slots.values().removeIf(slot -> {
                if (slot.service.equals(service) && slot.spare != null) {
                    gone.add(slot.spare);
                }
                return slot.service.equals(service);
            });
        }
        gone.forEach(spare -> discardSpare(spare, "service deleted"));
    }

    /** cless shuts down: every spare goes, and none is made again; completes once their removals were tried. */
    CompletableFuture<Void> discardAll() {
        List<Spare> all;
        synchronized (this) {
            closed = true;
            all = slots.values().stream().map(slot -> slot.spare).filter(Objects::nonNull).toList();
            slots.clear();
        }
        return CompletableFuture.allOf(all.stream().map(spare -> discardSpare(spare, "shutting down"))
                .toArray(CompletableFuture[]::new));
    }

    /**
     * Drops the spares created before {@code listedAtMillis} whose containers that listing ({@code listed}) did not
     * have: they were removed behind cless's back.
     */
    void vanished(Set<String> listed, long listedAtMillis) {
        dropIf(spare -> spare.createdAtMillis < listedAtMillis && !listed.contains(spare.containerId()),
                "its container vanished");
    }

    /** The container {@code containerId} died or was removed: if it was a spare, the next one is made later. */
    void containerGone(String containerId) {
        dropIf(spare -> containerId.equals(spare.containerId()), "its container exited");
    }

    private void dropIf(Predicate<Spare> gone, String reason) {
        List<Spare> dropped = new ArrayList<>();
        synchronized (this) {
            for (Slot slot : slots.values()) {
                if (slot.spare != null && gone.test(slot.spare)) {
                    dropped.add(slot.spare);
                    slot.spare = null;
                }
            }
        }
        dropped.forEach(spare -> retirement.retire(target(spare), false, reason));
    }

    /** Whether {@code id} is a spare's instance id or container id. */
    synchronized boolean knows(String id) {
        for (Slot slot : slots.values()) {
            Spare spare = slot.spare;
            if (spare != null && (id.equals(spare.id) || id.equals(spare.containerId()))) {
                return true;
            }
        }
        return false;
    }

    private void create(Spare spare) {
        CompletableFuture.supplyAsync(ports::allocate, control)
                .thenCompose(port -> {
                    spare.hostPort = port;
                    return runtime.create(ContainerSpec.forInstance(installationId, spare.service, spare.revision,
                            spare.id, spare.template, port));
                })
                .whenComplete((containerId, err) -> {
                    if (err == null) {
                        spare.createdAtMillis = clock.millis();
                        log.debug("Created spare container {} ({}) of {} on port {}", spare.containerName(),
                                Instance.shortId(containerId), spare.revision, spare.hostPort);
                        spare.created.complete(containerId);
                    } else {
                        creationFailed(spare, Failures.unwrap(err));
                    }
                });
    }

    private void creationFailed(Spare spare, Throwable cause) {
        boolean engineDown = RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
        boolean news;
        synchronized (this) {
            Slot slot = slots.get(spare.revision);
            news = slot != null && slot.spare == spare;
            if (news) {
                slot.spare = null;
                slot.failed = !engineDown; // an unreachable engine: spares are made again once it is back
            }
        }
        if (news && !engineDown) {
            log.warn("Could not create a spare container of service {} (revision {}, image {}); cold starts create"
                    + " their own until one succeeds: {}", spare.service, spare.revision, spare.template.image(),
                    cause.getMessage());
        }
        if (engineDown) {
            engineFailed.accept(cause);
        }
        // A create the engine never answered may still have made the container: it goes by name, port held until then.
        retirement.retire(new Retirement.Target("spare container", spare.service, spare.containerName(), null,
                spare.hostPort, engineDown && spare.hostPort > 0), false, "its creation failed");
        spare.created.completeExceptionally(cause);
    }

    /** Removes a spare no longer wanted once its creation is over; completes once its removal was tried. */
    private CompletableFuture<Void> discardSpare(Spare spare, String reason) {
        if (spare == null) {
            return CompletableFuture.completedFuture(null);
        }
        // A failed creation cleaned up after itself already.
        return spare.created.handle((containerId, err) -> err == null
                        ? retirement.retire(target(spare), false, reason)
                        : CompletableFuture.<Void>completedFuture(null))
                .thenCompose(removal -> removal);
    }

    private static Retirement.Target target(Spare spare) {
        return new Retirement.Target("spare container", spare.service, spare.containerName(), spare.containerId(),
                spare.hostPort, true);
    }
}
