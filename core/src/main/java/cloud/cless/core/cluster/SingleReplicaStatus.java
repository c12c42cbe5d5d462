package cloud.cless.core.cluster;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** The cluster of one cless on one host (SQLite or memory store): itself, live and leading, nothing to read. */
public final class SingleReplicaStatus implements ClusterStatus {
    private final Supplier<ReplicaIdentity> self;
    private final Supplier<Map<String, RevisionActivity>> activity;
    private final Clock clock;

    /**
     * @param self who this replica is now (its address is known once the proxy listens)
     * @param activity its revisions' activity now, without blocking
     */
    public SingleReplicaStatus(Supplier<ReplicaIdentity> self, Supplier<Map<String, RevisionActivity>> activity,
                               Clock clock) {
        this.self = self;
        this.activity = activity;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<ClusterSnapshot> read() {
        ReplicaIdentity me = self.get();
        var now = clock.instant();
        ReplicaStatus only = new ReplicaStatus(me.id(), me.name(), me.address(), me.startedAt(), now,
                ReplicaStatus.State.LIVE, activity.get());
        return CompletableFuture.completedFuture(new ClusterSnapshot(me.id(), me.id(), null, now, List.of(only),
                null));
    }
}
