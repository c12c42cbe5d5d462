package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The pools by revision: the active ones, of revisions that serve (a percent or a tag), which requests reach, and
 * the retired ones whose instances are still draining, which only shutdown, reconcile and the admin API still see
 * until they are empty. A revision that serves again after its pool was retired gets a new pool.
 */
final class Pools {
    private final ClessMetrics metrics;
    private final ServiceDirectory services;
    private final Clock clock;
    private final Supplier<String> newInstanceId;
    private final int queueCapacity;
    private final UnaryOperator<ResolvedService> fit;
    private final Map<String, ServicePool> active = new ConcurrentHashMap<>();
    private final Set<ServicePool> leaving = ConcurrentHashMap.newKeySet();

    /** @param fit what the engine runs a revision's settings as ({@link InstanceDriver#fit}) */
    Pools(ClessMetrics metrics, ServiceDirectory services, Clock clock, Supplier<String> newInstanceId,
          int queueCapacity, UnaryOperator<ResolvedService> fit) {
        this.metrics = metrics;
        this.services = services;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.queueCapacity = queueCapacity;
        this.fit = fit;
    }

    /** {@code revision} of {@code service} as its pool runs it on this engine. */
    ResolvedService resolve(RegisteredService service, Revision revision) {
        return fit.apply(ResolvedService.of(service, revision, services.defaults()));
    }

    /** The active pool of {@code revision}, or null. */
    ServicePool get(String revision) {
        return active.get(revision);
    }

    /**
     * The active pool of {@code revision} of {@code service}, made (and its instances-by-state gauges published)
     * on first use from the service as registered now; null when the registry says the revision serves nothing
     * (no percent, no tag: gone, or never) or runs no container: a pool is never made for what does not serve. The
     * check and a retirement's {@link #retire} are serialised on the revision's key, and the registry changes what
     * it says before it tells the lifecycle, so a pool made here is retired by the change that follows if need be.
     */
    ServicePool getOrCreate(String service, String revision) {
        ServicePool pool = active.get(revision);
        return pool != null ? pool : active.computeIfAbsent(revision, key -> {
            RegisteredService current = services.service(service);
            Serving serving = Serving.of(current, key);
            Optional<Revision> found = serving == Serving.NONE ? Optional.empty() : current.revision(key);
            if (found.isEmpty() || found.get().spec().isUpstream()) {
                return null;
            }
            ResolvedService spec = resolve(current, found.get());
            ServicePool created = new ServicePool(spec, serving, metrics.revision(service, key), clock::millis,
                    newInstanceId, queueCapacity);
            metrics.trackInstances(service, key, state -> count(key, state));
            return created;
        });
    }

    /** The revision serves no more or is gone: its pool takes no requests and is kept until its instances are. */
    ServicePool retire(String revision) {
        ServicePool pool = active.remove(revision);
        if (pool != null) {
            leaving.add(pool);
        }
        return pool;
    }

    List<ServicePool> active() {
        return List.copyOf(active.values());
    }

    /** The active pools of {@code service}'s revisions. */
    List<ServicePool> activeOf(String service) {
        List<ServicePool> of = new ArrayList<>();
        for (ServicePool pool : active.values()) {
            if (pool.service().equals(service)) {
                of.add(pool);
            }
        }
        return of;
    }

    /** Active and leaving pools. */
    List<ServicePool> all() {
        leaving.removeIf(pool -> pool.read(PoolInstances::isEmpty));
        List<ServicePool> all = new ArrayList<>(active.values());
        all.addAll(leaving);
        return all;
    }

    /** The pools of {@code revision}: its active one and retired ones still draining. */
    List<ServicePool> of(String revision) {
        List<ServicePool> of = new ArrayList<>();
        for (ServicePool pool : all()) {
            if (pool.key().equals(revision)) {
                of.add(pool);
            }
        }
        return of;
    }

    /** The instances of every pool, active or draining, of the revisions {@code service} has. */
    List<InstanceInfo> instances(RegisteredService service) {
        List<InstanceInfo> infos = new ArrayList<>();
        for (ServicePool pool : all()) {
            if (pool.service().equals(service.name()) && service.revision(pool.key()).isPresent()) {
                infos.addAll(pool.read(PoolInstances::snapshot));
            }
        }
        return infos;
    }

    /** Instances of {@code revision} in {@code state}, in its active pool and any retired one still draining. */
    int count(String revision, InstanceState state) {
        int count = 0;
        for (ServicePool pool : all()) {
            if (pool.key().equals(revision)) {
                count += pool.read(instances -> instances.count(state));
            }
        }
        return count;
    }

    /** Whether an instance of any pool has {@code id} as its id or its container's. */
    boolean knows(String id) {
        return all().stream().anyMatch(pool -> pool.read(instances -> instances.knows(id)));
    }

    /** Requests in flight on every instance. */
    int inFlight() {
        return all().stream().mapToInt(pool -> pool.read(PoolInstances::inFlight)).sum();
    }

    /** Per revision, what its pools that have instances have now; an active and a retired pool of one add up. */
    Map<String, PoolActivity> activity() {
        Map<String, PoolActivity> activity = new HashMap<>();
        for (ServicePool pool : all()) {
            PoolActivity one = pool.activity();
            if (one != null) {
                activity.merge(pool.key(), one, PoolActivity::plus);
            }
        }
        return activity;
    }

    /** Whether no pool has an instance left. */
    boolean allEmpty() {
        return all().stream().allMatch(pool -> pool.read(PoolInstances::isEmpty));
    }
}
