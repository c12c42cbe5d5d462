package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.ResolvedService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The pools by service: the active ones, which requests reach, and those of deleted services whose instances are
 * still draining, which only shutdown and reconcile still see until they are empty.
 */
final class Pools {
    private final ClessMetrics metrics;
    private final ServiceDirectory services;
    private final Clock clock;
    private final Supplier<String> newInstanceId;
    private final int queueCapacity;
    private final Map<String, ServicePool> active = new ConcurrentHashMap<>();
    private final Set<ServicePool> leaving = ConcurrentHashMap.newKeySet();

    Pools(ClessMetrics metrics, ServiceDirectory services, Clock clock, Supplier<String> newInstanceId,
          int queueCapacity) {
        this.metrics = metrics;
        this.services = services;
        this.clock = clock;
        this.newInstanceId = newInstanceId;
        this.queueCapacity = queueCapacity;
    }

    ServicePool get(String service) {
        return active.get(service);
    }

    /**
     * The pool of {@code spec}'s service, made (and its instances-by-state gauges published) on first use; null when
     * {@code spec} is no longer the service's current definition (deleted or replaced meanwhile): a pool is never
     * made for a service that is gone. The check and a delete's {@link #remove} are serialised on the service's key.
     */
    ServicePool getOrCreate(ResolvedService spec) {
        ServicePool pool = active.get(spec.name());
        return pool != null ? pool : active.computeIfAbsent(spec.name(), name -> {
            if (services.current(name) != spec.definition()) {
                return null;
            }
            ServicePool created = new ServicePool(spec, clock::millis, newInstanceId, queueCapacity);
            metrics.trackInstances(name, state -> created.read(instances -> instances.count(state)));
            return created;
        });
    }

    /** The service was deleted: its pool takes no requests and is kept only until its instances are gone. */
    ServicePool remove(String service) {
        ServicePool pool = active.remove(service);
        if (pool != null) {
            leaving.add(pool);
        }
        return pool;
    }

    List<ServicePool> active() {
        return List.copyOf(active.values());
    }

    /** Active and leaving pools. */
    List<ServicePool> all() {
        leaving.removeIf(pool -> pool.read(PoolInstances::isEmpty));
        List<ServicePool> all = new ArrayList<>(active.values());
        all.addAll(leaving);
        return all;
    }

    /** Whether an instance of any pool has {@code id} as its id or its container's. */
    boolean knows(String id) {
        return all().stream().anyMatch(pool -> pool.read(instances -> instances.knows(id)));
    }

    /** Requests in flight on every instance. */
    int inFlight() {
        return all().stream().mapToInt(pool -> pool.read(PoolInstances::inFlight)).sum();
    }

    /** Per pool key, what the pools that have instances have now; a key of an active and a leaving pool adds up. */
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
