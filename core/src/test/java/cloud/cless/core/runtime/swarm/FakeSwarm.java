package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * A swarm kept in memory, for unit tests of what is built on {@link SwarmApi}: services with replicas and a version
 * index, and tasks that the test puts there (nothing is scheduled by itself). Answers complete on a thread of their
 * own, as the real client's do; {@link #down} makes every call fail as an unreachable manager.
 */
public final class FakeSwarm implements SwarmApi {
    /** One service as the fake manager holds it. */
    public static final class Service {
        public final String id;
        public final SwarmServiceSpec spec;
        public volatile int replicas;
        public volatile long version = 1;
        public final List<SwarmTask> tasks = new ArrayList<>();

        Service(String id, SwarmServiceSpec spec) {
            this.id = id;
            this.spec = spec;
            this.replicas = spec.replicas();
        }
    }

    private final Executor answers = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "fake-swarm");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger taskListings = new AtomicInteger();
    private final AtomicInteger installationListings = new AtomicInteger();
    private final AtomicInteger replicaWrites = new AtomicInteger();
    private final AtomicInteger replicaUpdates = new AtomicInteger();
    private volatile RuntimeFailure down;

    /** Every call fails with this (null: answers again). */
    public void down(RuntimeFailure failure) {
        down = failure;
    }

    public synchronized Service service(String name, boolean required) {
        Service service = services.get(name);
        if (service == null && required) {
            throw new AssertionError("no service " + name);
        }
        return service;
    }

    public synchronized int replicas(String name) {
        return service(name, true).replicas;
    }

    public synchronized void setTasks(String name, SwarmTask... tasks) {
        Service service = service(name, true);
        service.tasks.clear();
        service.tasks.addAll(List.of(tasks));
    }

    public synchronized String serviceId(String name) {
        return service(name, true).id;
    }

    public synchronized boolean exists(String name) {
        return services.containsKey(name);
    }

    /** A service made outside of what is tested (by another replica, or left from an earlier run). */
    public synchronized Service add(SwarmServiceSpec spec) {
        Service service = new Service("svc" + ids.incrementAndGet(), spec);
        services.put(spec.name(), service);
        return service;
    }

    public int taskListings() {
        return taskListings.get();
    }

    public int installationListings() {
        return installationListings.get();
    }

    /** Replica changes written. */
    public int replicaWrites() {
        return replicaWrites.get();
    }

    /** Replica updates asked for and answered, whether they changed the count or not. */
    public int replicaUpdates() {
        return replicaUpdates.get();
    }

    @Override
    public CompletableFuture<String> createService(SwarmServiceSpec spec) {
        return answer(() -> {
            synchronized (this) {
                if (services.containsKey(spec.name())) {
                    throw new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "creation of swarm service "
                            + spec.name() + " failed: name conflicts with an existing object", null);
                }
                return add(spec).id;
            }
        });
    }

    @Override
    public CompletableFuture<SwarmService> service(String name) {
        return answer(() -> {
            synchronized (this) {
                Service service = existing(name);
                return new SwarmService(service.id, name, service.version, service.replicas, service.spec.image(),
                        service.spec.labels());
            }
        });
    }

    @Override
    public CompletableFuture<ReplicaUpdate> updateReplicas(String name, IntUnaryOperator change) {
        return answer(() -> {
            synchronized (this) {
                Service service = existing(name);
                replicaUpdates.incrementAndGet();
                int current = service.replicas;
                int wanted = change.applyAsInt(current);
                if (wanted == current) {
                    return new ReplicaUpdate(service.id, current, wanted, service.version, 1, false);
                }
                replicaWrites.incrementAndGet();
                service.replicas = wanted;
                service.version++;
                return new ReplicaUpdate(service.id, current, wanted, service.version - 1, 1, true);
            }
        });
    }

    @Override
    public CompletableFuture<List<SwarmTask>> tasks(String name) {
        return answer(() -> {
            synchronized (this) {
                taskListings.incrementAndGet();
                return List.copyOf(existing(name).tasks);
            }
        });
    }

    @Override
    public CompletableFuture<List<SwarmTask>> installationTasks(String installationId) {
        return answer(() -> {
            synchronized (this) {
                installationListings.incrementAndGet();
                List<SwarmTask> all = new ArrayList<>();
                services.values().stream()
                        .filter(s -> installationId.equals(s.spec.labels().get(ContainerLabels.INSTALLATION)))
                        .forEach(s -> all.addAll(s.tasks));
                return all;
            }
        });
    }

    @Override
    public CompletableFuture<Void> removeService(String name) {
        return answer(() -> {
            synchronized (this) {
                services.remove(name);
                return null;
            }
        });
    }

    @Override
    public CompletableFuture<List<SwarmService>> listManaged(String installationId) {
        return answer(() -> {
            synchronized (this) {
                return services.entrySet().stream()
                        .filter(e -> installationId.equals(e.getValue().spec.labels().get(ContainerLabels.INSTALLATION)))
                        .map(e -> new SwarmService(e.getValue().id, e.getKey(), e.getValue().version,
                                e.getValue().replicas, e.getValue().spec.image(), e.getValue().spec.labels()))
                        .toList();
            }
        });
    }

    @Override
    public CompletableFuture<Void> ping() {
        return answer(() -> null);
    }

    private Service existing(String name) {
        Service service = services.get(name);
        if (service == null) {
            throw new SwarmServiceMissingException(name, "swarm service " + name + " does not exist", null);
        }
        return service;
    }

    private <T> CompletableFuture<T> answer(Supplier<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            RuntimeFailure failure = down;
            if (failure != null) {
                throw failure;
            }
            return work.get();
        }, answers);
    }
}
