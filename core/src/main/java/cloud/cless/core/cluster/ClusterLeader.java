package cloud.cless.core.cluster;

import cloud.cless.core.service.ScalingSettings;
import cloud.cless.core.store.DatabaseFailures;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leader does while it leads: every {@code interval} it reads the replicas' reports, plans each revision
 * ({@link ScalePlanner}) and hands the plan to the {@link ClusterScaler}. It begins when the election says
 * {@link #gained()} and stops at once on {@link #lost()}: a round still reading the reports then decides nothing,
 * and the scaler is told to stop writing. On a thread of its own; the reports are read on the cluster's
 * {@link JdbcExecutor}.
 */
public final class ClusterLeader implements LeadershipListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterLeader.class);

    private final Supplier<CompletableFuture<ClusterView>> reports;
    private final Supplier<Map<String, ScalingSettings>> revisions;
    private final ClusterScaler scaler;
    private final Duration interval;
    private final ScheduledExecutorService thread;
    // Guarded by this: which leadership is current (a new number at each gain and loss), and its rounds.
    private long term;
    private boolean leading;
    private ScheduledFuture<?> rounds;
    // Only on the leader's thread.
    private long plannedTerm = -1;
    private Map<String, Instant> unreportedSince = Map.of();
    private CompletableFuture<?> reading = CompletableFuture.completedFuture(null);
    private boolean readFailureLogged;
    // Guarded by this: the last plan and the term it was made in.
    private ScalePlan lastPlan;
    private long lastPlanTerm;

    /**
     * @param reports reads the replicas' reports ({@link ReplicaReports#read()}), completing off the caller's thread
     * @param revisions the revisions to decide for, with their settings, as the registry has them now
     * @param interval time between rounds; the replicas report about once a second
     */
    public ClusterLeader(Supplier<CompletableFuture<ClusterView>> reports,
                         Supplier<Map<String, ScalingSettings>> revisions,
                         ClusterScaler scaler, Duration interval) {
        this.reports = reports;
        this.revisions = revisions;
        this.scaler = scaler;
        this.interval = interval;
        this.thread = Executors.newSingleThreadScheduledExecutor(JdbcExecutor.daemonThreads("cless-leader"));
    }

    @Override
    public synchronized void gained() {
        if (leading || thread.isShutdown()) {
            return;
        }
        leading = true;
        long current = ++term;
        log.info("Leading: scale decisions every {} ms, carried out by {}", interval.toMillis(), scaler);
        rounds = thread.scheduleWithFixedDelay(() -> round(current), 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void lost() {
        if (!leading) {
            return;
        }
        leading = false;
        term++;
        rounds.cancel(false);
        try {
            thread.execute(this::tellScalerLost);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: close() tells the scaler itself
        }
    }

    /** The plan of this leader's last round; empty while this replica does not lead (or has not planned yet). */
    public synchronized Optional<ScalePlan> lastPlan() {
        return leading && lastPlanTerm == term ? Optional.ofNullable(lastPlan) : Optional.empty();
    }

    private synchronized void planned(ScalePlan plan, long current) {
        lastPlan = plan;
        lastPlanTerm = current;
    }

    /** Stops planning; a scaler still told to apply is told that leadership is over. */
    @Override
    public void close() {
        lost();
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean leads(long candidate) {
        return leading && term == candidate;
    }

    /** One round of term {@code current}, on the leader's thread; a failure costs this round only. */
    private void round(long current) {
        try {
            startRound(current);
        } catch (RuntimeException e) {
            log.warn("Leader round failed", e);
        }
    }

    private void startRound(long current) {
        if (!reading.isDone()) {
            return; // the database is slow: skip a round rather than pile reads up
        }
        if (plannedTerm != current) {
            plannedTerm = current; // a new leadership has seen nothing yet
            unreportedSince = Map.of();
        }
        reading = reports.get().whenCompleteAsync((view, failure) -> {
            if (!leads(current)) {
                return;
            }
            if (failure != null) {
                if (!readFailureLogged) {
                    readFailureLogged = true;
                    log.warn("Leader cannot read the replicas' reports; no scale decision until it can: {}",
                            DatabaseFailures.reason(failure));
                }
                return;
            }
            readFailureLogged = false;
            decide(view, current);
        }, thread);
    }

    private void decide(ClusterView view, long current) {
        ScalePlan plan;
        try {
            plan = ScalePlanner.plan(view, revisions.get(), unreportedSince);
        } catch (RuntimeException e) {
            log.warn("Leader cannot plan this round", e);
            return;
        }
        unreportedSince = plan.unreportedSince();
        planned(plan, current);
        try {
            scaler.apply(plan, () -> leads(current));
        } catch (RuntimeException e) {
            log.warn("Scaler {} failed on this round's plan", scaler, e);
        }
    }

    private void tellScalerLost() {
        try {
            scaler.leadershipLost();
        } catch (RuntimeException e) {
            log.warn("Scaler {} failed when leadership ended", scaler, e);
        }
    }
}
