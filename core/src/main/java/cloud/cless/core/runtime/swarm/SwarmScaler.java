package cloud.cless.core.runtime.swarm;

import cloud.cless.core.cluster.ClusterScaler;
import cloud.cless.core.cluster.RevisionScale;
import cloud.cless.core.cluster.ScalePlan;
import cloud.cless.core.runtime.ContainerLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's scale decisions carried out on the swarm's services, which every replica shares: once a round, the
 * replicas of each revision's service are read in one listing, raised to the plan's target where they are below it
 * ({@link DesiredReplicas#atLeast}), and lowered to zero where the plan allows it and they are above
 * ({@link DesiredReplicas#compareAndSet} from the count read, so that a change made since is not undone). Nothing
 * else is lowered: a revision keeps what it has until it may scale to zero. Services that do not exist are not made
 * here: the replicas make a revision's service when it starts to serve. Every write is safe to repeat and to race
 * with another's, as a leader that lost its lead without knowing yet may still write.
 */
public final class SwarmScaler implements ClusterScaler {
    private static final Logger log = LoggerFactory.getLogger(SwarmScaler.class);

    private final SwarmApi swarm;
    private final DesiredReplicas replicas;
    private final String installationId;
    /** The round whose reads and writes are under way; the next one is skipped until it is done. */
    private volatile CompletableFuture<Void> round = CompletableFuture.completedFuture(null);

    public SwarmScaler(SwarmApi swarm, String installationId) {
        this.swarm = swarm;
        this.replicas = new DesiredReplicas(swarm);
        this.installationId = installationId;
    }

    @Override
    public void apply(ScalePlan plan, BooleanSupplier stillLeading) {
        if (!round.isDone()) {
            return; // the manager is slow: this round's plan is made again in a second
        }
        round = swarm.listManaged(installationId)
                .thenCompose(services -> carryOut(plan, replicasByRevision(services), stillLeading))
                .exceptionally(error -> {
                    log.warn("Could not carry the leader's scale decisions out on the swarm: {}",
                            unwrap(error).getMessage());
                    return null;
                });
    }

    /** The last round's reads and writes: done once they all ended. */
    CompletableFuture<Void> lastRound() {
        return round;
    }

    private CompletableFuture<Void> carryOut(ScalePlan plan, Map<String, Integer> current, BooleanSupplier leading) {
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (RevisionScale decision : plan.revisions()) {
            Integer now = current.get(decision.revision());
            if (now == null || !leading.getAsBoolean()) {
                continue;
            }
            String revision = decision.revision();
            if (decision.target() > now) {
                writes.add(replicas.atLeast(revision, decision.target()).thenAccept(update -> {
                    if (update.written()) {
                        log.info("Revision {}: {} request(s) in flight over the cluster, replicas {} -> {}", revision,
                                decision.inFlight(), update.previous(), update.replicas());
                    }
                }));
            } else if (decision.target() == 0 && now > 0 && decision.toZero().allowed()) {
                writes.add(replicas.compareAndSet(revision, now, 0).thenAccept(update -> {
                    if (update.written()) {
                        log.info("Revision {} scales to zero ({} replica(s) before): {}", revision, update.previous(),
                                decision.toZero().reason());
                    }
                }));
            }
        }
        return CompletableFuture.allOf(writes.stream()
                .map(write -> write.exceptionally(error -> {
                    log.debug("A scale write of the leader failed: {}", unwrap(error).getMessage());
                    return null;
                }))
                .toArray(CompletableFuture[]::new));
    }

    private static Map<String, Integer> replicasByRevision(List<SwarmService> services) {
        Map<String, Integer> byRevision = new HashMap<>();
        for (SwarmService service : services) {
            String revision = service.labels().get(ContainerLabels.REVISION);
            if (revision != null && service.replicas() >= 0) {
                byRevision.put(revision, service.replicas());
            }
        }
        return byRevision;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while (current instanceof CompletionException && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    @Override
    public String toString() {
        return "the swarm's services of installation " + installationId + " (raised to the target, lowered only to"
                + " zero)";
    }
}
