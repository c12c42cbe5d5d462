package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.swarm.SwarmRevisions;
import cloud.cless.core.runtime.swarm.SwarmService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Swarm services this cless made or adopted, by revision, and their removal once a revision serves no more (its
 * traffic moved away, it or its service was deleted): after its pools drained, or once the drain timeout has passed
 * since it stopped serving, whichever comes first (the instances still draining then are dropped: removing the
 * service ends their tasks). Looked at every second; a revision that serves again meanwhile keeps its service.
 */
final class RetiredServices {
    private static final Logger log = LoggerFactory.getLogger(RetiredServices.class);

    private final SwarmRevisions revisions;
    private final Pools pools;
    private final BiPredicate<String, String> serves;
    private final long drainNanos;
    private final Consumer<ServicePool> dropInstances;
    /** Revision to its service's name, for every revision whose Swarm service this cless looks after. */
    private final Map<String, String> services = new ConcurrentHashMap<>();
    /** When each revision that still has its Swarm service was first seen not serving. */
    private final Map<String, Long> withdrawnAtNanos = new ConcurrentHashMap<>();

    /**
     * @param serves        whether revision (second) of service (first) serves now
     * @param dropInstances retires every instance of a pool at once (its drain took too long)
     */
    RetiredServices(SwarmRevisions revisions, Pools pools, BiPredicate<String, String> serves, Duration drainTimeout,
                    Consumer<ServicePool> dropInstances) {
        this.revisions = revisions;
        this.pools = pools;
        this.serves = serves;
        this.drainNanos = drainTimeout.toNanos();
        this.dropInstances = dropInstances;
    }

    /** A service found on the swarm and kept. */
    void track(SwarmService found) {
        String revision = found.labels().get(ContainerLabels.REVISION);
        String service = found.labels().get(ContainerLabels.SERVICE);
        if (revision != null && service != null) {
            track(service, revision);
        }
    }

    /** {@code revision} of {@code service} has (or is about to have) its Swarm service. */
    void track(String service, String revision) {
        services.putIfAbsent(revision, service);
    }

    /** The service {@code revision} belongs to, when its Swarm service is looked after; else null. */
    String serviceOf(String revision) {
        return services.get(revision);
    }

    /** Removes the services of revisions that serve no more and drained (or ran out of drain time). */
    void sweep() {
        long now = System.nanoTime();
        for (Map.Entry<String, String> entry : services.entrySet()) {
            String revision = entry.getKey();
            if (serves.test(entry.getValue(), revision)) {
                withdrawnAtNanos.remove(revision);
                continue;
            }
            long since = withdrawnAtNanos.computeIfAbsent(revision, r -> now);
            List<ServicePool> draining = pools.of(revision);
            boolean drained = draining.stream().allMatch(pool -> pool.read(PoolInstances::isEmpty));
            if (!drained && now - since < drainNanos) {
                continue;
            }
            if (!drained) {
                log.info("Revision {}: requests still in flight after the drain time; removing its swarm service",
                        revision);
                draining.forEach(dropInstances);
            }
            if (services.remove(revision, entry.getValue())) {
                withdrawnAtNanos.remove(revision);
                revisions.remove(revision).whenComplete((v, error) -> {
                    if (error != null) {
                        log.warn("Could not remove the swarm service of revision {}; trying again: {}", revision,
                                Failures.unwrap(error).getMessage());
                        services.putIfAbsent(revision, entry.getValue());
                    }
                });
            }
        }
    }
}
