package cloud.cless.core.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The cluster of replicas sharing a database, read from it: every live and stale replica's report and the session
 * that holds the leader's lock. While the database cannot be read, this replica alone, from what it knows, with the
 * database's state saying why.
 */
public final class SharedClusterStatus implements ClusterStatus {
    /** Beyond this an answer comes without the database (a black-holed network is slow to fail). */
    private static final Duration READ_LIMIT = Duration.ofSeconds(5);

    private final Supplier<ReplicaIdentity> self;
    private final Supplier<Map<String, RevisionActivity>> activity;
    private final ReplicaReports reports;
    private final JdbcExecutor jdbc;
    private final Supplier<DatabaseLink> link;
    private final Supplier<Optional<ScalePlan>> plan;
    private final Clock clock;

    /**
     * @param link this replica's link to the database, as its parts last found it
     * @param plan the leader's last plan while this replica leads
     */
    public SharedClusterStatus(Supplier<ReplicaIdentity> self, Supplier<Map<String, RevisionActivity>> activity,
                               ReplicaReports reports, JdbcExecutor jdbc, Supplier<DatabaseLink> link,
                               Supplier<Optional<ScalePlan>> plan, Clock clock) {
        this.self = self;
        this.activity = activity;
        this.reports = reports;
        this.jdbc = jdbc;
        this.link = link;
        this.plan = plan;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<ClusterSnapshot> read() {
        CompletableFuture<ClusterView> view = reports.read();
        CompletableFuture<Optional<String>> leader = jdbc.call("find the leader", LeaderElection::currentLeader);
        return view.thenCombine(leader, this::snapshot)
                .orTimeout(READ_LIMIT.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(failure -> alone());
    }

    private ClusterSnapshot snapshot(ClusterView view, Optional<String> leader) {
        ReplicaIdentity me = self.get();
        List<ReplicaStatus> replicas = new ArrayList<>();
        view.live().forEach(r -> replicas.add(ReplicaStatus.of(r, ReplicaStatus.State.LIVE)));
        view.stale().forEach(r -> replicas.add(ReplicaStatus.of(r, ReplicaStatus.State.STALE)));
        if (view.replica(me.id()).isEmpty()) {
            replicas.add(ReplicaStatus.unreported(me, activity.get()));
        }
        replicas.sort(Comparator.comparing(ReplicaStatus::id));
        return new ClusterSnapshot(me.id(), leader.orElse(null), link.get(), view.now(), replicas,
                plan.get().orElse(null));
    }

    /** What this replica knows without the database: itself, and why the rest is missing. */
    private ClusterSnapshot alone() {
        ReplicaIdentity me = self.get();
        return new ClusterSnapshot(me.id(), null, link.get(), clock.instant(),
                List.of(ReplicaStatus.unreported(me, activity.get())), null);
    }
}
