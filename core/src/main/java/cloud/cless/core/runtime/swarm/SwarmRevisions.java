package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances of cless's revisions on a Docker Swarm, declaratively: a revision is a Swarm service, its instances
 * are the service's tasks, and cless changes only the service's desired replica count (see {@link DesiredReplicas});
 * what runs is learnt by polling the tasks ({@link TaskReport}s to the listener). The lifecycle asks for a start
 * ({@link #startOne}: at least that many replicas; the instance is whichever task comes up), lets an idle instance
 * go ({@link #letGo}: one replica fewer; Swarm picks the task, which is reported draining, and the instance let go is
 * reported running again when Swarm picked another), and removes a revision's service once it serves no more.
 *
 * <p>A task that fails before it runs is reported {@code FAILED}, naming the image and the node; when tasks keep
 * failing and none runs, the service is scaled back to zero, which stops Swarm's endless replacements: the next
 * request tries again.
 */
public final class SwarmRevisions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SwarmRevisions.class);

    /** Told what becomes of the revisions' tasks and of the manager. */
    public interface Listener {
        /** What became of a task; one revision's reports in order, from the client's threads. Must not block. */
        void report(TaskReport report);

        /** The manager stopped answering ({@code down}), or answers again ({@code null}). */
        void engine(RuntimeFailure down);
    }

    private final SwarmApi swarm;
    private final String installationId;
    private final Listener listener;
    private final DesiredReplicas replicas;
    private final TaskWatch watch;
    /** Service creations and look-ups in flight, by revision: concurrent starts of one revision share one. */
    private final Map<String, CompletableFuture<String>> preparing = new ConcurrentHashMap<>();
    /** The last failure of a task of each revision that failed before it ran, for the scale-back's log line. */
    private final Map<String, RuntimeFailure> lastFailure = new ConcurrentHashMap<>();

    /**
     * @param swarm          the manager; its calls complete on its own bounded executor
     * @param timer          schedules the polls
     * @param installationId the id every replica of this cless cluster shares (labels of its services)
     */
    public SwarmRevisions(SwarmApi swarm, ScheduledExecutorService timer, String installationId, TaskPolling polling,
                          Listener listener) {
        this.swarm = swarm;
        this.installationId = installationId;
        this.listener = listener;
        this.replicas = new DesiredReplicas(swarm);
        this.watch = new TaskWatch(swarm, timer, installationId, polling,
                () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()), new WatchListener());
    }

    /** Begins polling the watched revisions' tasks. */
    public void start() {
        watch.start();
    }

    /** The desired replica count of each revision, to read and to change by compare-and-set (the leader does). */
    public DesiredReplicas replicas() {
        return replicas;
    }

    /** The installation id the services are labelled with. */
    public String installationId() {
        return installationId;
    }

    /** The manager's outage as the polls found it, or null while it answers. */
    public RuntimeFailure down() {
        return watch.down();
    }

    /**
     * Makes the revision ready to start from: its service exists (created at 0 replicas when it does not: the spare
     * of a swarm) and its tasks are watched. Completes with the service's id.
     */
    public CompletableFuture<String> prepare(SwarmServiceSpec spec) {
        watch.watch(spec.revision(), null);
        String known = watch.serviceId(spec.revision());
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        String revision = spec.revision();
        CompletableFuture<String> mine = new CompletableFuture<>();
        CompletableFuture<String> theirs = preparing.putIfAbsent(revision, mine);
        if (theirs != null) {
            return theirs;
        }
        findOrCreate(spec).whenComplete((id, error) -> {
            preparing.remove(revision, mine);
            if (id != null && watch.watches(revision)) {
                watch.watch(revision, id);
            }
            if (error == null) {
                mine.complete(id);
            } else {
                mine.completeExceptionally(unwrap(error));
            }
        });
        return mine;
    }

    /**
     * Asks for an instance of the revision: its service gets at least {@code atLeast} replicas (made first when it
     * does not exist), and its tasks are polled fast until {@link #startEnded}. The instance is the next task
     * reported {@code RUNNING}; the tasks that run already are reported so again at once, in case an earlier report
     * of one was not taken. Fails when the service cannot be made or scaled.
     */
    public CompletableFuture<ReplicaUpdate> startOne(SwarmServiceSpec spec, int atLeast) {
        String revision = spec.revision();
        watch.watch(revision, null);
        watch.startPending(revision);
        watch.offerRunning(revision);
        return prepare(spec)
                .thenCompose(id -> replicas.atLeast(revision, atLeast))
                .exceptionallyCompose(error -> {
                    if (!(unwrap(error) instanceof SwarmServiceMissingException)) {
                        return CompletableFuture.failedFuture(unwrap(error));
                    }
                    // Removed since it was prepared (by hand, or by a replica that retired the revision): anew.
                    log.info("Swarm service {} of revision {} is gone; creating it again", spec.name(), revision);
                    watch.serviceMissing(revision);
                    return prepare(spec).thenCompose(id -> replicas.atLeast(revision, atLeast));
                });
    }

    /** A start of {@link #startOne} ended (a task came for it, it failed, or nobody waits any more). */
    public void startEnded(String revision) {
        watch.startEnded(revision);
    }

    /**
     * Lets the idle instance {@code instanceId} go: one replica fewer, if the count is still what the last poll saw
     * (else nothing is written, and the instance is reported running again). Swarm picks which task goes; it is
     * reported {@code DRAINING}, and when it is another, {@code instanceId} is reported running again.
     */
    public CompletableFuture<ReplicaUpdate> letGo(String revision, String instanceId) {
        int seen = watch.wanted(revision);
        watch.released(revision, instanceId);
        return replicas.decrement(revision, seen).whenComplete((update, error) -> {
            if (error != null || !update.written()) {
                if (error != null) {
                    log.info("Could not scale swarm service {} down; its instance {} stays: {}",
                            SwarmServiceSpec.nameFor(revision), instanceId, unwrap(error).getMessage());
                }
                watch.releaseUndone(revision, instanceId);
            }
        });
    }

    /** A connection to an instance of the revision was refused: its tasks are polled now. */
    public void suspect(String revision) {
        watch.pollNow(revision);
    }

    /** The revision serves no more (its instances drained): its service and tasks are removed. */
    public CompletableFuture<Void> remove(String revision) {
        watch.unwatch(revision);
        lastFailure.remove(revision);
        String name = SwarmServiceSpec.nameFor(revision);
        return swarm.removeService(name).whenComplete((v, error) -> {
            if (error == null) {
                log.info("Removed swarm service {} of revision {}", name, revision);
            }
        });
    }

    /**
     * Squares the swarm with the revisions that serve, after a start: the services {@code serves} keeps are watched
     * (their running tasks are reported {@code RUNNING}, to adopt), every other service of this installation is
     * removed. Completes with the services kept, once the removals were tried.
     */
    public CompletableFuture<List<SwarmService>> reconcile(Predicate<SwarmService> serves) {
        return swarm.listManaged(installationId).thenCompose(services -> {
            List<SwarmService> adopted = new ArrayList<>();
            List<CompletableFuture<Void>> removals = new ArrayList<>();
            for (SwarmService service : services) {
                String revision = service.labels().get(ContainerLabels.REVISION);
                if (revision != null && service.name().equals(nameOrNull(revision)) && serves.test(service)) {
                    watch.watch(revision, service.id());
                    watch.pollNow(revision);
                    adopted.add(service);
                } else {
                    log.info("Removing swarm service {} left from an earlier run: {}", service.name(),
                            revision == null ? "it has no revision label" : "revision " + revision
                                    + " does not serve");
                    removals.add(swarm.removeService(service.name()).exceptionally(error -> {
                        log.warn("Could not remove swarm service {}: {}", service.name(),
                                unwrap(error).getMessage());
                        return null;
                    }));
                }
            }
            return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
                    .thenApply(v -> List.copyOf(adopted));
        });
    }

    @Override
    public void close() {
        watch.close();
    }

    private CompletableFuture<String> findOrCreate(SwarmServiceSpec spec) {
        String name = spec.name();
        return swarm.service(name).thenCompose(found -> fitting(spec, found)).exceptionallyCompose(error -> {
            if (!(unwrap(error) instanceof SwarmServiceMissingException)) {
                return CompletableFuture.failedFuture(unwrap(error));
            }
            SwarmServiceSpec idle = spec.replicas() == 0 ? spec : spec.withReplicas(0);
            return swarm.createService(idle).exceptionallyCompose(createError -> {
                // Another replica created it first: that one is as good (a revision's spec never changes).
                return swarm.service(name).thenCompose(found -> fitting(spec, found))
                        .exceptionallyCompose(readError -> CompletableFuture.failedFuture(unwrap(createError)));
            }).whenComplete((id, createError) -> {
                if (createError == null) {
                    log.info("Created swarm service {} ({}) of revision {} from image {}, at 0 replicas", name, id,
                            spec.revision(), spec.image());
                }
            });
        });
    }

    /** The id of a service found under the revision's name, when it is this installation's for that revision. */
    private CompletableFuture<String> fitting(SwarmServiceSpec spec, SwarmService found) {
        Map<String, String> labels = found.labels();
        if (!installationId.equals(labels.get(ContainerLabels.INSTALLATION))
                || !spec.revision().equals(labels.get(ContainerLabels.REVISION))) {
            return CompletableFuture.failedFuture(new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED,
                    "swarm service " + found.name() + " exists but is not revision " + spec.revision()
                            + " of installation " + installationId + " (its labels: installation "
                            + labels.get(ContainerLabels.INSTALLATION) + ", revision "
                            + labels.get(ContainerLabels.REVISION) + ")", null));
        }
        if (found.image() != null && !found.image().startsWith(spec.image())) {
            // The same revision name with another image: a store that was reset under the same installation.
            log.warn("Swarm service {} runs image {}, but revision {} is image {}; making it anew", found.name(),
                    found.image(), spec.revision(), spec.image());
            return swarm.removeService(found.name()).thenCompose(v -> swarm.createService(spec.withReplicas(0)));
        }
        return CompletableFuture.completedFuture(found.id());
    }

    private static String nameOrNull(String revision) {
        try {
            return SwarmServiceSpec.nameFor(revision);
        } catch (IllegalArgumentException notARevision) {
            return null;
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while (current instanceof CompletionException && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** What the polls find: reports go on; failures are kept for the scale-back, which happens here. */
    private final class WatchListener implements TaskWatch.Listener {
        @Override
        public void report(TaskReport report) {
            if (report.kind() == TaskReport.Kind.FAILED) {
                lastFailure.put(report.revision(), report.failure());
            }
            listener.report(report);
        }

        @Override
        public void failing(String revision) {
            RuntimeFailure last = lastFailure.get(revision);
            String name = SwarmServiceSpec.nameFor(revision);
            log.warn("Tasks of swarm service {} keep failing before they run ({}); scaling it to 0 replicas so that"
                    + " Swarm stops replacing them: the next request tries again", name,
                    last == null ? "no failure kept" : last.getMessage());
            swarm.updateReplicas(name, current -> 0).whenComplete((update, error) -> {
                if (error != null) {
                    log.warn("Could not scale swarm service {} to 0: {}", name, unwrap(error).getMessage());
                }
            });
        }

        @Override
        public void engine(RuntimeFailure down) {
            if (down != null) {
                log.warn("{}; cold starts on the swarm fail with 503 until it answers, checking in the background",
                        down.getMessage());
            } else {
                log.info("The Swarm manager answers again");
            }
            listener.engine(down);
        }
    }
}
