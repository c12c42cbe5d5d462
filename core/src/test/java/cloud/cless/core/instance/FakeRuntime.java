package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.ContainerState;
import cloud.cless.core.runtime.EngineSurvey;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import cloud.cless.core.service.Revision;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A container runtime double: records every call, can hold or fail each operation, and "runs" a container as a
 * {@link FakeAppServer} on its host port, so readiness probing stays real.
 */
final class FakeRuntime implements ContainerRuntime {

    /** What the app in a started container does. */
    enum App {
        /** Answers HTTP at once. */
        ANSWERS,
        /** Never listens: connections are refused. */
        NEVER_LISTENS
    }

    /** One fake container. */
    static final class Container {
        private static final AtomicInteger ORDER = new AtomicInteger();
        final String id;
        final ContainerSpec spec;
        /** Listings show containers in the order they were made, as the tests of reconcile need. */
        final int order = ORDER.incrementAndGet();
        volatile String state = "created";
        volatile FakeAppServer app;

        Container(String id, ContainerSpec spec) {
            this.id = id;
            this.spec = spec;
        }
    }

    private final ExecutorService blocking = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-docker");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger ids = new AtomicInteger();
    final Map<String, Container> containers = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<ContainerSpec> created = new CopyOnWriteArrayList<>();
    /** Open event watches: the listener and the future that ends the stream. */
    final List<Map.Entry<Consumer<ContainerEvent>, CompletableFuture<Void>>> watches = new CopyOnWriteArrayList<>();
    /** When set, listing fails with it (e.g. an unreachable engine). */
    volatile RuntimeFailure listFailure;
    /** Host ports the engine reports held by containers that are not cless's. */
    final Set<Integer> foreignPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
    volatile RuntimeFailure createFailure;
    volatile RuntimeFailure startFailure;
    /** When set, {@link #startFailure} fails one start only. */
    volatile boolean failStartOnce;
    volatile RuntimeFailure removeFailure;
    volatile RuntimeFailure unpauseFailure;
    volatile RuntimeFailure pauseFailure;
    volatile CompletableFuture<Void> createGate = CompletableFuture.completedFuture(null);
    /** When set, a pause call holds its caller until the latch opens (a pause that takes a while to begin). */
    volatile java.util.concurrent.CountDownLatch pauseCall;
    volatile App app = App.ANSWERS;

    /** Sends {@code event} to every open watch, as the engine would. */
    void emit(ContainerEvent event) {
        for (Map.Entry<Consumer<ContainerEvent>, CompletableFuture<Void>> watch : watches) {
            if (!watch.getValue().isDone()) {
                watch.getKey().accept(event);
            }
        }
    }

    long lists() {
        return calls.stream().filter(c -> c.startsWith("list ")).count();
    }

    int creates() {
        return created.size();
    }

    long starts() {
        return calls.stream().filter(c -> c.startsWith("start ")).count();
    }

    long removes() {
        return calls.stream().filter(c -> c.startsWith("remove ")).count();
    }

    /** A container of the first revision of {@code service} left from an earlier run. */
    Container existing(String service, String instanceId, int hostPort, boolean running) throws IOException {
        return existing(service, instanceId, hostPort, running ? "running" : "exited");
    }

    /** A container of the first revision of {@code service} left from an earlier run in {@code state}. */
    Container existing(String service, String instanceId, int hostPort, String state) throws IOException {
        return existing(service, Revision.name(service, 1), instanceId, hostPort, state);
    }

    /**
     * A container left from an earlier run in {@code state}, labelled with {@code revision} (none when null); its
     * app answers when running or paused.
     */
    Container existing(String service, String revision, String instanceId, int hostPort, String state)
            throws IOException {
        String id = "old" + ids.incrementAndGet();
        Map<String, String> labels = new HashMap<>(Map.of(ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, service, ContainerLabels.INSTANCE, instanceId,
                ContainerLabels.HOST_PORT, Integer.toString(hostPort)));
        if (revision != null) {
            labels.put(ContainerLabels.REVISION, revision);
        }
        ContainerSpec spec = new ContainerSpec(ContainerSpec.name(service, instanceId), "img:latest", 8080, hostPort,
                Map.of(), labels, null, null);
        Container container = new Container(id, spec);
        if ("running".equals(state) || "paused".equals(state)) {
            container.app = FakeAppServer.start(hostPort, FakeAppServer.Mode.RESPOND);
        }
        container.state = state;
        containers.put(id, container);
        return container;
    }

    @Override
    public CompletableFuture<String> create(ContainerSpec spec) {
        calls.add("create " + spec.name());
        return createGate.thenApplyAsync(v -> {
            RuntimeFailure failure = createFailure;
            if (failure != null) {
                throw failure;
            }
            created.add(spec);
            Container container = new Container("c" + ids.incrementAndGet() + "0123456789abcdef", spec);
            containers.put(container.id, container);
            return container.id;
        }, blocking);
    }

    @Override
    public CompletableFuture<Void> start(String containerId) {
        calls.add("start " + containerId);
        return run(() -> {
            RuntimeFailure failure = startFailure;
            if (failure != null) {
                if (failStartOnce) {
                    startFailure = null;
                }
                throw failure;
            }
            Container container = containers.get(containerId);
            container.state = "running";
            if (app == App.ANSWERS) {
                try {
                    container.app = FakeAppServer.start(container.spec.hostPort(), FakeAppServer.Mode.RESPOND);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> stop(String containerId, int graceSeconds) {
        calls.add("stop " + containerId);
        return run(() -> {
            Container container = containers.get(containerId);
            if (container != null) {
                container.state = "exited";
                closeApp(container);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> pause(String containerId) {
        calls.add("pause " + containerId);
        java.util.concurrent.CountDownLatch held = pauseCall;
        if (held != null) {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return run(() -> {
            RuntimeFailure failure = pauseFailure;
            if (failure != null) {
                throw failure;
            }
            containers.get(containerId).state = "paused";
            calls.add("paused " + containerId);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> unpause(String containerId) {
        calls.add("unpause " + containerId);
        return run(() -> {
            RuntimeFailure failure = unpauseFailure;
            if (failure != null) {
                throw failure;
            }
            containers.get(containerId).state = "running";
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> remove(String containerId) {
        calls.add("remove " + containerId);
        return run(() -> {
            RuntimeFailure failure = removeFailure;
            if (failure != null) {
                calls.add("remove-failed " + containerId);
                throw failure;
            }
            Container container = containers.remove(containerId);
            if (container != null) {
                closeApp(container);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<EngineSurvey> survey(String installationId) {
        calls.add("list " + installationId);
        return run(() -> {
            RuntimeFailure failure = listFailure;
            if (failure != null) {
                throw failure;
            }
            List<ManagedContainer> found = new ArrayList<>();
            Set<Integer> taken = new HashSet<>(foreignPorts);
            List<Container> all = new ArrayList<>(containers.values());
            all.sort(Comparator.comparingInt(c -> c.order));
            for (Container c : all) {
                Map<String, String> labels = c.spec.labels();
                int port;
                try {
                    port = Integer.parseInt(labels.getOrDefault(ContainerLabels.HOST_PORT, "-1"));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port > 0) {
                    taken.add(port);
                }
                found.add(new ManagedContainer(c.id, c.spec.name(), labels.get(ContainerLabels.SERVICE),
                        labels.get(ContainerLabels.REVISION), labels.get(ContainerLabels.INSTANCE), port,
                        ContainerState.of(c.state)));
            }
            return new EngineSurvey(found, taken);
        });
    }

    @Override
    public CompletableFuture<Void> watch(String installationId, Consumer<ContainerEvent> listener) {
        calls.add("watch " + installationId);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        watches.add(Map.entry(listener, ended));
        return ended;
    }

    @Override
    public CompletableFuture<Void> ping() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        containers.values().forEach(FakeRuntime::closeApp);
        blocking.shutdownNow();
    }

    private <T> CompletableFuture<T> run(Supplier<T> operation) {
        return CompletableFuture.supplyAsync(operation, blocking);
    }

    private static void closeApp(Container container) {
        FakeAppServer app = container.app;
        if (app != null) {
            try {
                app.close();
            } catch (IOException ignored) {
                // test server already gone
            }
        }
    }
}
