package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ContainerInstanceManagerTest {
    private static final String INSTALLATION = "test-installation";
    private static EventLoopGroup group;

    private final FakeRuntime runtime = new FakeRuntime();
    private final TestPorts ports = new TestPorts();
    private final MutableClock clock = new MutableClock();
    private final List<ServiceDefinition> registered = new CopyOnWriteArrayList<>();
    private final List<InstanceLease> leases = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private ContainerInstanceManager manager;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void createManager() {
        manager = new ContainerInstanceManager(runtime, ports, ForkJoinPool.commonPool(),
                new ReadinessProbe(NioSocketChannel::new, Duration.ofMillis(500)), group, INSTALLATION,
                () -> List.copyOf(registered), clock,
                new InstanceManagerConfig(0, 2, Duration.ofMillis(300), Duration.ofMillis(50)),
                new ClessMetrics(meters));
    }

    private double count(String name, String service, String... tags) {
        return meters.get(name).tag("service", service).tags(tags).counter().count();
    }

    private double instancesIn(String service, String state) {
        return meters.get("cless.instances").tags("service", service, "state", state).gauge().value();
    }

    @AfterEach
    void shutDown() throws Exception {
        leases.forEach(InstanceLease::release);
        manager.shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).as("containers left after shutdown").isEmpty();
        assertThat(ports.held).as("ports held after shutdown").isEmpty();
        assertThat(ports.releasedWithoutHold).isEmpty();
        runtime.close();
    }

    /** Containers of {@code service} created but not started: its spare. */
    private long spares(String service) {
        return runtime.containers.values().stream()
                .filter(c -> "created".equals(c.state) && service.equals(c.spec.labels().get(ContainerLabels.SERVICE)))
                .count();
    }

    private long running() {
        return runtime.containers.values().stream().filter(c -> "running".equals(c.state)).count();
    }

    private static ServiceDefinition.Builder service(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(10);
    }

    private InstanceLease lease(ServiceDefinition def) throws Exception {
        InstanceLease lease = await(manager.acquire(def, group.next()));
        leases.add(lease);
        return lease;
    }

    private static <T> T await(Future<T> future) throws Exception {
        assertThat(future.await(30, TimeUnit.SECONDS)).as("future completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        return future.getNow();
    }

    private static AcquireFailure failureOf(Future<?> future) throws InterruptedException {
        assertThat(future.await(30, TimeUnit.SECONDS)).as("future completed").isTrue();
        assertThat(future.cause()).isInstanceOf(AcquireFailure.class);
        return (AcquireFailure) future.cause();
    }

    @Test
    void fiftyConcurrentFirstAcquiresShareOneColdStart() throws Exception {
        ServiceDefinition hello = service("hello").env(Map.of("GREETING", "hi")).memoryMb(64).cpus(0.5).build();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acquired.add(manager.acquire(hello, group.next()));
        }
        assertThat(acquired).noneMatch(Future::isDone);
        gate.complete(null);

        for (Future<InstanceLease> future : acquired) {
            leases.add(await(future));
        }
        assertThat(runtime.creates()).isEqualTo(1);
        assertThat(leases).extracting(InstanceLease::instanceId).containsOnly(leases.get(0).instanceId());
        assertThat(count("cless.cold.starts", "hello")).isEqualTo(1);
        assertThat(meters.get("cless.cold.start.duration").tag("service", "hello").timer().count()).isEqualTo(1);
        assertThat(instancesIn("hello", "ready")).isEqualTo(1);
        assertThat(instancesIn("hello", "starting")).isZero();
        List<InstanceInfo> infos = manager.instances("hello");
        assertThat(infos).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(InstanceState.READY);
            assertThat(info.openConnections()).isEqualTo(50);
            assertThat(info.coldStartMillis()).isGreaterThanOrEqualTo(0);
            assertThat(info.readyAt()).isNotNull();
        });

        ContainerSpec spec = runtime.created.get(0);
        String instanceId = leases.get(0).instanceId();
        int hostPort = leases.get(0).address().getPort();
        assertThat(spec.name()).isEqualTo("cless-hello-" + instanceId);
        assertThat(spec.image()).isEqualTo("cless-test/hello:latest");
        assertThat(spec.containerPort()).isEqualTo(8080);
        assertThat(spec.hostPort()).isEqualTo(hostPort);
        assertThat(spec.env()).containsEntry("GREETING", "hi").containsEntry("PORT", "8080");
        assertThat(spec.labels()).containsEntry(ContainerLabels.MANAGED, "true")
                .containsEntry(ContainerLabels.SERVICE, "hello")
                .containsEntry(ContainerLabels.INSTANCE, instanceId)
                .containsEntry(ContainerLabels.HOST_PORT, Integer.toString(hostPort))
                .containsEntry(ContainerLabels.INSTALLATION, INSTALLATION);
        assertThat(spec.memoryMb()).isEqualTo(64);
        assertThat(spec.cpus()).isEqualTo(0.5);
        assertThat(leases.get(0).address().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void warmAcquireReusesTheInstanceAndReleaseIsCounted() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease first = lease(hello);
        InstanceLease second = lease(hello);

        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        assertThat(runtime.creates()).isEqualTo(1);
        assertThat(manager.instances("hello").get(0).openConnections()).isEqualTo(2);

        first.release();
        first.release();
        assertThat(manager.instances("hello").get(0).openConnections()).isEqualTo(1);
        second.release();
        assertThat(manager.instances("hello").get(0).openConnections()).isZero();

        InstanceLease third = lease(hello);
        assertThat(third.instanceId()).isEqualTo(first.instanceId());
        assertThat(runtime.creates()).isEqualTo(1);
    }

    @Test
    void touchRecordsActivity() throws Exception {
        InstanceLease lease = lease(service("hello").build());
        clock.advanceMillis(60_000);
        lease.touch();

        assertThat(manager.instances("hello").get(0).lastActivity().toEpochMilli()).isEqualTo(clock.millis());
    }

    @Test
    void createFailureFailsEveryWaiterReleasesThePortAndTheNextAcquireTriesAgain() throws Exception {
        ServiceDefinition nope = service("nope").build();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image cless-test/nope:latest not found and could not be pulled", null);

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            acquired.add(manager.acquire(nope, group.next()));
        }
        gate.complete(null);
        for (Future<InstanceLease> future : acquired) {
            AcquireFailure failure = failureOf(future);
            assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
            assertThat(failure.getMessage()).contains("nope", "cless-test/nope:latest", "could not be pulled");
        }
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(1);
        waitUntil(() -> ports.held.isEmpty());
        assertThat(manager.instances("nope")).isEmpty();
        assertThat(count("cless.cold.start.failures", "nope", "reason", "start_failed")).isEqualTo(1);
        assertThat(meters.find("cless.cold.starts").tag("service", "nope").counter().count()).isZero();

        runtime.createFailure = null;
        InstanceLease lease = lease(nope);
        assertThat(lease.instanceId()).isNotBlank();
        assertThat(runtime.creates()).isEqualTo(1);
    }

    @Test
    void startFailureRemovesTheCreatedContainer() throws Exception {
        runtime.startFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "port already allocated",
                null);

        AcquireFailure failure = failureOf(manager.acquire(service("hello").build(), group.next()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("hello", "cless-test/hello:latest", "port already allocated");
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(runtime.removes()).isEqualTo(1);
    }

    @Test
    void containerNeverReadyTimesOutAndIsRemoved() throws Exception {
        runtime.app = FakeRuntime.App.NEVER_LISTENS;
        ServiceDefinition slow = service("slow").startupTimeoutSeconds(1).build();

        AcquireFailure failure = failureOf(manager.acquire(slow, group.next()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.STARTUP_TIMEOUT);
        assertThat(failure.getMessage()).startsWith("service slow: container cless-slow-")
                .endsWith("not ready within 1 s");
        assertThat(count("cless.cold.start.failures", "slow", "reason", "startup_timeout")).isEqualTo(1);
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(manager.instances("slow")).isEmpty();
    }

    @Test
    void engineUnavailableIsUnavailable() throws Exception {
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "cannot connect to /var/run/docker.sock", null);

        AcquireFailure failure = failureOf(manager.acquire(service("hello").build(), group.next()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "docker.sock");
        waitUntil(() -> ports.held.isEmpty());
    }

    @Test
    void exhaustedPortsAreUnavailable() throws Exception {
        ports.exhausted = true;

        AcquireFailure failure = failureOf(manager.acquire(service("hello").build(), group.next()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "no free host port");
        assertThat(runtime.calls).isEmpty();
    }

    @Test
    void upstreamIsAlwaysReadyWithoutAContainer() throws Exception {
        ServiceDefinition upstream = ServiceDefinition.builder("bench").upstream("127.0.0.1:9001")
                .host("bench.localhost").build();
        EventLoop loop = group.next();

        Future<InstanceLease> acquired = manager.acquire(upstream, loop);

        assertThat(acquired.isSuccess()).isTrue();
        InstanceLease lease = acquired.getNow();
        assertThat(lease.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 9001));
        lease.touch();
        lease.release();
        assertThat(runtime.calls).isEmpty();
        assertThat(manager.instances("bench")).isEmpty();
    }

    @Test
    void upstreamParsing() {
        assertThat(UpstreamLeases.parse("[::1]:8080")).isEqualTo(new InetSocketAddress("::1", 8080));
        assertThat(UpstreamLeases.parse("localhost:80").isUnresolved()).isTrue();
    }

    @Test
    void scalesOutToMaxInstancesThenQueuesThenFails() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(3).build();

        List<Future<InstanceLease>> first = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            first.add(manager.acquire(busy, group.next()));
        }
        List<InstanceLease> held = new ArrayList<>();
        for (Future<InstanceLease> future : first) {
            held.add(await(future));
        }
        leases.addAll(held);
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(held).extracting(InstanceLease::instanceId).doesNotHaveDuplicates();

        Future<InstanceLease> queued = manager.acquire(busy, group.next());
        assertThat(queued.isDone()).as("4th waits at max_instances").isFalse();
        held.get(1).release();
        InstanceLease fourth = await(queued);
        leases.add(fourth);
        assertThat(fourth.instanceId()).isEqualTo(held.get(1).instanceId());
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(count("cless.queue.waits", "busy")).isEqualTo(1);
        assertThat(meters.get("cless.queue.wait.duration").tag("service", "busy").timer().count()).isEqualTo(1);
        assertThat(instancesIn("busy", "ready")).isEqualTo(3);

        Future<InstanceLease> fifth = manager.acquire(busy, group.next());
        Future<InstanceLease> sixth = manager.acquire(busy, group.next());
        AcquireFailure full = failureOf(manager.acquire(busy, group.next()));
        assertThat(full.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(full.getMessage()).contains("busy", "queue is full");

        AcquireFailure timedOut = failureOf(fifth);
        assertThat(timedOut.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(timedOut.getMessage()).contains("busy", "no instance free within 300 ms");
        assertThat(failureOf(sixth).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(count("cless.queue.waits", "busy")).isEqualTo(3);
        assertThat(count("cless.queue.rejections", "busy", "reason", "full")).isEqualTo(1);
        assertThat(count("cless.queue.rejections", "busy", "reason", "timeout")).isEqualTo(2);
        assertThat(meters.get("cless.queue.wait.duration").tag("service", "busy").timer().count())
                .as("only waits that got an instance are timed").isEqualTo(1);
    }

    @Test
    void newConnectionsGoToTheLeastLoadedInstance() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(2).maxInstances(2).build();
        InstanceLease a1 = lease(busy);
        InstanceLease a2 = lease(busy);
        InstanceLease b1 = lease(busy);
        assertThat(a2.instanceId()).isEqualTo(a1.instanceId());
        assertThat(b1.instanceId()).isNotEqualTo(a1.instanceId());

        a1.release();
        a2.release();
        InstanceLease next = lease(busy);
        assertThat(next.instanceId()).isEqualTo(a1.instanceId());
    }

    @Test
    void changedDefinitionDrainsOldInstancesAfterTheirConnections() throws Exception {
        ServiceDefinition v1 = service("hello").env(Map.of("V", "1")).build();
        ServiceDefinition v2 = service("hello").env(Map.of("V", "2")).build();
        InstanceLease old = lease(v1);

        manager.serviceUpdated(v1, v2);
        assertThat(manager.instances("hello")).singleElement()
                .extracting(InstanceInfo::state).isEqualTo(InstanceState.DRAINING);

        InstanceLease fresh = lease(v2);
        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        assertThat(runtime.created.get(1).env()).containsEntry("V", "2");
        assertThat(runtime.removes()).isZero();

        old.release();
        waitUntil(() -> runtime.removes() == 1 && !ports.held.contains(old.address().getPort()));
        assertThat(manager.instances("hello")).extracting(InstanceInfo::id).containsExactly(fresh.instanceId());
    }

    @Test
    void changeDuringAColdStartServesItsWaitersThenDrainsIt() throws Exception {
        ServiceDefinition v1 = service("hello").env(Map.of("V", "1")).build();
        ServiceDefinition v2 = service("hello").env(Map.of("V", "2")).build();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        Future<InstanceLease> waiting = manager.acquire(v1, group.next());

        manager.serviceUpdated(v1, v2);
        Future<InstanceLease> newer = manager.acquire(v2, group.next());
        gate.complete(null);

        InstanceLease old = await(waiting);
        leases.add(old);
        InstanceLease fresh = await(newer);
        leases.add(fresh);
        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        assertThat(runtime.creates()).isEqualTo(2);

        old.release();
        waitUntil(() -> manager.instances("hello").size() == 1 && runtime.containers.size() == 1);
        assertThat(manager.instances("hello").get(0).id()).isEqualTo(fresh.instanceId());
    }

    @Test
    void aWaiterThatGaveUpDoesNotBlockTheQueue() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(1).build();
        InstanceLease held = lease(busy);
        Future<InstanceLease> gaveUp = manager.acquire(busy, group.next());
        assertThat(gaveUp.cancel(false)).isTrue();

        held.release();
        InstanceLease next = lease(busy);
        assertThat(next.instanceId()).isEqualTo(held.instanceId());
        assertThat(manager.instances("busy").get(0).openConnections()).isEqualTo(1);
    }

    @Test
    void sameContainerUpdateKeepsInstances() throws Exception {
        ServiceDefinition v1 = service("hello").build();
        InstanceLease lease = lease(v1);

        manager.serviceUpdated(v1, v1.toBuilder().idleTimeoutSeconds(60).build());

        assertThat(manager.instances("hello")).singleElement()
                .extracting(InstanceInfo::state).isEqualTo(InstanceState.READY);
        assertThat(lease(v1).instanceId()).isEqualTo(lease.instanceId());
    }

    @Test
    void deletedServiceDrainsThenIsGone() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease lease = lease(hello);

        assertThat(instancesIn("hello", "ready")).isEqualTo(1);
        manager.serviceDeleted(hello);
        assertThat(manager.instances("hello")).extracting(InstanceInfo::state).containsExactly(InstanceState.DRAINING);
        assertThat(meters.find("cless.instances").tag("service", "hello").gauges())
                .as("a deleted service's series go").isEmpty();

        lease.release();
        // Gone means the port is back too: it is released after the container's removal completes.
        waitUntil(() -> manager.instances("hello").isEmpty() && runtime.containers.isEmpty()
                && ports.held.isEmpty());
    }

    @Test
    void refusedConnectionReplacesTheInstance() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease lease = lease(hello);

        lease.connectFailed(new java.net.ConnectException("Connection refused"));
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());

        InstanceLease next = lease(hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void idleInstancesAreReapedButNotBelowMinOrWithOpenConnections() throws Exception {
        registered.add(service("idle").idleTimeoutSeconds(1).build());
        registered.add(service("kept").idleTimeoutSeconds(1).minInstances(1).build());
        registered.add(service("busy").idleTimeoutSeconds(1).build());
        manager.start().get(30, TimeUnit.SECONDS);
        waitUntil(() -> manager.instances("kept").stream().anyMatch(i -> i.state() == InstanceState.READY));

        lease(registered.get(0)).release();
        InstanceLease open = lease(registered.get(2));
        clock.advanceMillis(5_000);

        waitUntil(() -> manager.instances("idle").isEmpty());
        waitUntil(() -> running() == 2 && spares("idle") == 1);
        assertThat(manager.instances("kept")).hasSize(1);
        assertThat(manager.instances("busy")).singleElement()
                .extracting(InstanceInfo::id).isEqualTo(open.instanceId());

        // The next connection after reaping starts the spare container.
        long startsBefore = runtime.starts();
        InstanceLease again = lease(registered.get(0));
        assertThat(again.instanceId()).isNotBlank();
        assertThat(runtime.starts()).isEqualTo(startsBefore + 1);
    }

    @Test
    void aContainerReapedWhileTheEngineIsDownIsRemovedOnceItIsBack() throws Exception {
        registered.add(service("idle").idleTimeoutSeconds(1).build());
        manager.start().get(30, TimeUnit.SECONDS);
        lease(registered.get(0)).release();
        String containerId = manager.instances("idle").get(0).containerId();
        runtime.removeFailure = engineUnreachable();
        runtime.listFailure = engineUnreachable();
        clock.advanceMillis(5_000);

        waitUntil(() -> manager.instances("idle").isEmpty());
        Thread.sleep(300);
        assertThat(runtime.containers).containsKey(containerId);

        runtime.removeFailure = null;
        runtime.listFailure = null;
        waitUntil(() -> !runtime.containers.containsKey(containerId));
    }

    @Test
    void reconcileAdoptsRunningContainersOfKnownServicesAndRemovesTheRest() throws Exception {
        ServiceDefinition hello = service("hello").build();
        ServiceDefinition warm = service("warm").minInstances(1).build();
        registered.add(hello);
        registered.add(warm);
        int adoptedPort = ReadinessProbeTest.unusedAddress().getPort();
        FakeRuntime.Container adopted = runtime.existing("hello", "aaaa1111", adoptedPort, true);
        FakeRuntime.Container unknown = runtime.existing("gone", "bbbb2222", ReadinessProbeTest.unusedAddress().getPort(), true);
        FakeRuntime.Container exited = runtime.existing("hello", "cccc3333", 31999, false);
        FakeRuntime.Container badLabels = runtime.existing("hello", "dddd4444", -1, false);
        badLabels.state = "running";

        manager.start().get(30, TimeUnit.SECONDS);

        assertThat(runtime.containers).containsKey(adopted.id)
                .doesNotContainKeys(unknown.id, exited.id, badLabels.id);
        assertThat(ports.held).contains(adoptedPort);
        assertThat(manager.instances("hello")).singleElement().satisfies(info -> {
            assertThat(info.id()).isEqualTo("aaaa1111");
            assertThat(info.containerId()).isEqualTo(adopted.id);
            assertThat(info.state()).isEqualTo(InstanceState.READY);
        });
        InstanceLease lease = lease(hello);
        assertThat(lease.instanceId()).isEqualTo("aaaa1111");
        assertThat(lease.address().getPort()).isEqualTo(adoptedPort);

        // min_instances are started after reconciling, and each service gets a spare container.
        waitUntil(() -> manager.instances("warm").stream().anyMatch(i -> i.state() == InstanceState.READY));
        waitUntil(() -> spares("hello") == 1 && spares("warm") == 1);
        assertThat(runtime.starts()).isEqualTo(1);
    }

    @Test
    void shutdownWaitsForConnectionsThenRemovesEverything() throws Exception {
        ServiceDefinition one = service("one").build();
        ServiceDefinition two = service("two").build();
        InstanceLease open = lease(one);
        lease(two).release();

        CompletableFuture<Void> stopped = manager.shutdown(Duration.ofSeconds(20));
        AcquireFailure refused = failureOf(manager.acquire(two, group.next()));
        assertThat(refused.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(refused.getMessage()).contains("shutting down");
        assertThat(stopped).isNotDone();
        assertThat(runtime.containers).hasSize(2);

        open.release();
        stopped.get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }

    @Test
    void shutdownDuringAColdStartRemovesTheStartingContainer() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        Future<InstanceLease> waiting = manager.acquire(service("hello").build(), group.next());

        CompletableFuture<Void> stopped = manager.shutdown(Duration.ofSeconds(5));
        assertThat(failureOf(waiting).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        gate.complete(null);

        stopped.get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }

    // ---- spares: containers created ahead of need ----

    /** The one spare container of {@code service}, once it exists. */
    private FakeRuntime.Container awaitSpare(String service) throws InterruptedException {
        waitUntil(() -> spares(service) == 1);
        return runtime.containers.values().stream()
                .filter(c -> "created".equals(c.state) && service.equals(c.spec.labels().get(ContainerLabels.SERVICE)))
                .findFirst().orElseThrow();
    }

    private ServiceDefinition registeredAndCreated(ServiceDefinition def) {
        registered.add(def);
        manager.serviceCreated(def);
        return def;
    }

    @Test
    void aSpareIsCreatedAtRegistrationStartedByTheNextColdStartThenReplaced() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition hello = registeredAndCreated(service("hello").env(Map.of("GREETING", "hi")).build());
        FakeRuntime.Container spare = awaitSpare("hello");
        assertThat(spare.spec.labels()).containsEntry(ContainerLabels.INSTALLATION, INSTALLATION)
                .containsEntry(ContainerLabels.HOST_PORT, Integer.toString(spare.spec.hostPort()));
        assertThat(spare.spec.env()).containsEntry("GREETING", "hi").containsEntry("PORT", "8080");
        assertThat(ports.held).contains(spare.spec.hostPort());
        assertThat(manager.instances("hello")).as("a spare is no instance").isEmpty();
        // Any create on the cold start's path would now hang: the cold start must only start the spare.
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;

        InstanceLease lease = lease(hello);

        assertThat(lease.address().getPort()).isEqualTo(spare.spec.hostPort());
        assertThat(lease.instanceId()).isEqualTo(spare.spec.labels().get(ContainerLabels.INSTANCE));
        assertThat(manager.instances("hello")).singleElement()
                .extracting(InstanceInfo::containerId).isEqualTo(spare.id);
        assertThat(runtime.calls).contains("start " + spare.id);
        assertThat(runtime.creates()).isEqualTo(1);

        gate.complete(null);
        FakeRuntime.Container next = awaitSpare("hello");
        assertThat(next.id).isNotEqualTo(spare.id);
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void aSpareIsReplacedWhenTheContainerChangesAndRemovedWhenTheServiceGoes() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition v1 = registeredAndCreated(service("hello").env(Map.of("V", "1")).build());
        FakeRuntime.Container first = awaitSpare("hello");

        ServiceDefinition sameContainer = v1.toBuilder().idleTimeoutSeconds(60).build();
        manager.serviceUpdated(v1, sameContainer);
        assertThat(awaitSpare("hello").id).isEqualTo(first.id);

        ServiceDefinition v2 = service("hello").env(Map.of("V", "2")).build();
        registered.clear();
        registered.add(v2);
        manager.serviceUpdated(sameContainer, v2);
        waitUntil(() -> !runtime.containers.containsKey(first.id) && !ports.held.contains(first.spec.hostPort()));
        FakeRuntime.Container second = awaitSpare("hello");
        assertThat(second.spec.env()).containsEntry("V", "2");

        registered.clear();
        manager.serviceDeleted(v2);
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        Thread.sleep(200); // maintenance ticks: no spare for a deleted service
        assertThat(runtime.containers).isEmpty();
    }

    @Test
    void aSpareThatCannotBeCreatedIsNotRetriedAndColdStartsStillNameTheImage() throws Exception {
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image 'cless-test/nope:latest' is not present locally and could not be pulled", null);
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition nope = registeredAndCreated(service("nope").build());
        waitUntil(() -> runtime.calls.stream().anyMatch(c -> c.startsWith("create")));
        Thread.sleep(300); // several maintenance ticks
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(1);
        assertThat(ports.held).isEmpty();

        AcquireFailure failure = failureOf(manager.acquire(nope, group.next()));
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("cless-test/nope:latest", "could not be pulled");
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(2);

        runtime.createFailure = null;
        clock.advanceMillis(ServicePool.TOP_UP_BACKOFF_FIRST_MILLIS);
        lease(nope);
        awaitSpare("nope"); // a start worked: spares are made again
    }

    @Test
    void aColdStartWhileTheSpareIsBeingCreatedWaitsForItInsteadOfCreatingAnother() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        ServiceDefinition hello = registeredAndCreated(service("hello").build());
        waitUntil(() -> runtime.calls.stream().anyMatch(c -> c.startsWith("create")));

        Future<InstanceLease> waiting = manager.acquire(hello, group.next());
        assertThat(waiting.isDone()).isFalse();
        gate.complete(null);
        InstanceLease lease = await(waiting);
        leases.add(lease);

        assertThat(runtime.calls.stream().filter(c -> c.startsWith("create")).findFirst())
                .contains("create cless-hello-" + lease.instanceId());
        awaitSpare("hello");
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void reconcileRemovesCreatedContainersAndAdoptsPausedOnes() throws Exception {
        ServiceDefinition hello = service("hello").idleAction(IdleAction.PAUSE).build();
        registered.add(hello);
        int pausedPort = ReadinessProbeTest.unusedAddress().getPort();
        FakeRuntime.Container paused = runtime.existing("hello", "aaaa1111", pausedPort, "paused");
        FakeRuntime.Container oldSpare = runtime.existing("hello", "bbbb2222", 31998, "created");
        FakeRuntime.Container unknownPaused = runtime.existing("gone", "cccc3333", 31997, "paused");

        manager.start().get(30, TimeUnit.SECONDS);

        assertThat(runtime.containers).containsKey(paused.id).doesNotContainKeys(oldSpare.id, unknownPaused.id);
        assertThat(ports.held).contains(pausedPort);
        assertThat(manager.instances("hello")).singleElement().satisfies(info -> {
            assertThat(info.id()).isEqualTo("aaaa1111");
            assertThat(info.state()).isEqualTo(InstanceState.PAUSED);
        });
        assertThat(awaitSpare("hello").id).isNotEqualTo(oldSpare.id);

        InstanceLease lease = lease(hello);
        assertThat(lease.instanceId()).isEqualTo("aaaa1111");
        assertThat(lease.address().getPort()).isEqualTo(pausedPort);
        assertThat(runtime.calls).contains("unpause " + paused.id);
        assertThat(runtime.starts()).isZero();
    }

    // ---- idle_action pause ----

    private InstanceInfo awaitPaused(String service) throws InterruptedException {
        waitUntil(() -> manager.instances(service).stream().anyMatch(i -> i.state() == InstanceState.PAUSED));
        InstanceInfo info = manager.instances(service).get(0);
        waitUntil(() -> "paused".equals(runtime.containers.get(info.containerId()).state));
        return info;
    }

    @Test
    void anIdleInstanceIsPausedAndTheNextAcquireUnpausesItWithoutACreateOrStart() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition napper = registeredAndCreated(service("napper").idleAction(IdleAction.PAUSE)
                .idleTimeoutSeconds(1).build());
        InstanceLease first = lease(napper);
        first.release();
        awaitSpare("napper");
        long creates = runtime.creates();
        long starts = runtime.starts();

        clock.advanceMillis(5_000);
        InstanceInfo paused = awaitPaused("napper");
        assertThat(paused.id()).isEqualTo(first.instanceId());
        assertThat(ports.held).contains(paused.hostPort());
        assertThat(instancesIn("napper", "paused")).isEqualTo(1);
        clock.advanceMillis(600_000);
        Thread.sleep(200); // maintenance ticks: a paused instance is kept, not removed
        assertThat(manager.instances("napper")).extracting(InstanceInfo::state).containsExactly(InstanceState.PAUSED);

        InstanceLease again = lease(napper);

        assertThat(again.instanceId()).isEqualTo(first.instanceId());
        assertThat(again.address()).isEqualTo(first.address());
        assertThat(runtime.calls).contains("unpause " + paused.containerId());
        assertThat(runtime.creates()).isEqualTo(creates);
        assertThat(runtime.starts()).isEqualTo(starts);
        assertThat(manager.instances("napper")).extracting(InstanceInfo::state).containsExactly(InstanceState.READY);
        assertThat(runtime.containers.get(paused.containerId()).state).isEqualTo("running");
    }

    @Test
    void aPausedInstanceCountsTowardMaxInstances() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition napper = registeredAndCreated(service("napper").idleAction(IdleAction.PAUSE)
                .idleTimeoutSeconds(1).concurrency(1).maxInstances(1).build());
        lease(napper).release();
        clock.advanceMillis(5_000);
        awaitPaused("napper");

        InstanceLease held = lease(napper);
        Future<InstanceLease> second = manager.acquire(napper, group.next());
        assertThat(failureOf(second).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.starts()).isEqualTo(1);
        assertThat(held.instanceId()).isNotBlank();
    }

    @Test
    void anUnpauseThatFailsRemovesTheInstanceAndColdStartsAnother() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition napper = registeredAndCreated(service("napper").idleAction(IdleAction.PAUSE)
                .idleTimeoutSeconds(1).build());
        InstanceLease first = lease(napper);
        first.release();
        clock.advanceMillis(5_000);
        InstanceInfo paused = awaitPaused("napper");
        runtime.unpauseFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "cannot unpause", null);

        InstanceLease again = lease(napper);

        assertThat(again.instanceId()).isNotEqualTo(first.instanceId());
        waitUntil(() -> !runtime.containers.containsKey(paused.containerId())
                && !ports.held.contains(paused.hostPort()));
        assertThat(manager.instances("napper")).extracting(InstanceInfo::id).containsExactly(again.instanceId());
    }

    @Test
    void pausedInstancesAreRemovedWhenTheContainerChangesAndSparesAndPausedOnesAtShutdown() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition v1 = registeredAndCreated(service("napper").idleAction(IdleAction.PAUSE)
                .idleTimeoutSeconds(1).env(Map.of("V", "1")).build());
        ServiceDefinition other = registeredAndCreated(service("other").idleAction(IdleAction.PAUSE)
                .idleTimeoutSeconds(1).build());
        lease(v1).release();
        lease(other).release();
        clock.advanceMillis(5_000);
        InstanceInfo paused = awaitPaused("napper");
        awaitPaused("other");

        ServiceDefinition v2 = v1.toBuilder().env(Map.of("V", "2")).build();
        manager.serviceUpdated(v1, v2);
        assertThat(manager.instances("napper")).isEmpty();
        waitUntil(() -> !runtime.containers.containsKey(paused.containerId()));
        assertThat(runtime.calls).doesNotContain("stop " + paused.containerId());
        awaitSpare("other");

        manager.shutdown(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }

    private static RuntimeFailure engineUnreachable() {
        return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "Docker engine at unix:///nowhere/docker.sock is unreachable", null);
    }

    @Test
    void engineDownAtStartFailsColdStartsAtOnceThenRecoversInTheBackground() throws Exception {
        ServiceDefinition warm = service("warm").minInstances(1).build();
        registered.add(warm);
        runtime.listFailure = engineUnreachable();

        manager.start().get(30, TimeUnit.SECONDS);
        Future<InstanceLease> refused = manager.acquire(service("hello").build(), group.next());

        assertThat(refused.isDone()).as("failed without waiting on the engine").isTrue();
        AcquireFailure failure = failureOf(refused);
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "unreachable");
        Thread.sleep(300); // several maintenance ticks: no top-up is tried while the engine is down
        assertThat(runtime.calls).noneMatch(c -> c.startsWith("create"));
        assertThat(ports.held).isEmpty();

        runtime.listFailure = null;
        waitUntil(() -> manager.instances("warm").stream().anyMatch(i -> i.state() == InstanceState.READY));
        assertThat(runtime.lists()).isGreaterThan(1);
        assertThat(runtime.calls).contains("watch " + INSTALLATION);
        assertThat(lease(service("hello").build()).instanceId()).isNotBlank();
    }

    @Test
    void engineLostWhileRunningFailsLaterColdStartsAtOnceUntilItIsBack() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        runtime.listFailure = engineUnreachable();
        runtime.createFailure = engineUnreachable();

        assertThat(failureOf(manager.acquire(service("one").build(), group.next())).reason())
                .isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        long creates = runtime.calls.stream().filter(c -> c.startsWith("create")).count();
        Future<InstanceLease> second = manager.acquire(service("two").build(), group.next());
        assertThat(second.isDone()).isTrue();
        assertThat(failureOf(second).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize((int) creates);

        runtime.createFailure = null;
        runtime.listFailure = null;
        waitUntil(() -> manager.acquire(service("two").build(), group.next()).awaitUninterruptibly().isSuccess());
        leases.add(lease(service("two").build()));
        leases.add(lease(service("two").build())); // the probe acquire above holds one too
    }

    @Test
    void minInstancesTopUpBacksOffAfterAFailedStart() throws Exception {
        registered.add(service("warm").minInstances(1).build());
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image 'cless-test/warm:latest' is not present locally and could not be pulled", null);

        manager.start().get(30, TimeUnit.SECONDS);
        // One for the spare, one for the start; neither is retried in a loop.
        waitUntil(() -> runtime.calls.stream().filter(c -> c.startsWith("create")).count() == 2);
        Thread.sleep(300); // several maintenance ticks, all within the backoff (the clock stands still)
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(2);

        runtime.createFailure = null;
        clock.advanceMillis(ServicePool.TOP_UP_BACKOFF_FIRST_MILLIS);
        waitUntil(() -> manager.instances("warm").stream().anyMatch(i -> i.state() == InstanceState.READY));
    }

    @Test
    void containerThatDiesIsRemovedOnItsEvent() throws Exception {
        ServiceDefinition hello = service("hello").build();
        manager.start().get(30, TimeUnit.SECONDS);
        InstanceLease lease = lease(hello);
        int port = lease.address().getPort();
        String containerId = manager.instances("hello").get(0).containerId();

        runtime.emit(new ContainerEvent(containerId, ContainerEvent.Kind.DIED, "hello", lease.instanceId()));

        assertThat(manager.instances("hello")).isEmpty();
        waitUntil(() -> !runtime.containers.containsKey(containerId) && !ports.held.contains(port));
        InstanceLease next = lease(hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(runtime.starts()).isEqualTo(2);
    }

    @Test
    void containerThatExitsWhileStartingFailsItsStartAtOnce() throws Exception {
        runtime.app = FakeRuntime.App.NEVER_LISTENS;
        manager.start().get(30, TimeUnit.SECONDS);
        Future<InstanceLease> waiting = manager.acquire(service("crash").startupTimeoutSeconds(30).build(),
                group.next());
        waitUntil(() -> runtime.containers.values().stream().anyMatch(c -> "running".equals(c.state)));
        String containerId = runtime.containers.values().stream().filter(c -> "running".equals(c.state))
                .findFirst().orElseThrow().id;

        runtime.emit(new ContainerEvent(containerId, ContainerEvent.Kind.DIED, null, null));

        AcquireFailure failure = failureOf(waiting);
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("crash", "cless-test/crash:latest", "exited while starting");
        waitUntil(() -> running() == 0 && !runtime.containers.containsKey(containerId));
    }

    @Test
    void endedEventStreamIsReopenedAndWhatDiedMeanwhileIsRemoved() throws Exception {
        ServiceDefinition hello = service("hello").build();
        manager.start().get(30, TimeUnit.SECONDS);
        InstanceLease lease = lease(hello);
        lease.release();
        int port = lease.address().getPort();
        String containerId = manager.instances("hello").get(0).containerId();
        clock.advanceMillis(1);
        // The engine restarts: the container is gone and the stream breaks, without any event.
        runtime.containers.get(containerId).state = "exited";
        runtime.watches.get(0).getValue().completeExceptionally(engineUnreachable());

        waitUntil(() -> runtime.calls.stream().filter(c -> c.startsWith("watch ")).count() == 2);
        waitUntil(() -> manager.instances("hello").isEmpty() && !ports.held.contains(port));
        waitUntil(() -> !runtime.containers.containsKey(containerId));
        assertThat(lease(hello).instanceId()).isNotEqualTo(lease.instanceId());
    }
}
