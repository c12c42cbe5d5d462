package cloud.cless.core.instance;

import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.swarm.SwarmClient;
import cloud.cless.core.runtime.swarm.SwarmService;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.runtime.swarm.SwarmTask;
import cloud.cless.core.runtime.swarm.TaskPolling;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.SwarmSupport;
import cloud.cless.core.testing.Waits;
import cloud.cless.core.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link InstanceLifecycle#onSwarm} against a real single-node swarm on a private engine: cold starts that scale a
 * revision's service from zero and lease its task at the node's address, scale to zero, a herd that starts one
 * task, a new revision that drains the old one's, a missing image, adoption after a restart.
 */
class InstanceLifecycleSwarmTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final SwarmSupport swarm = new SwarmSupport();

    private static EventLoopGroup group;
    private static ExecutorService calls;
    private static SwarmClient client;

    private final TestRegistry services = new TestRegistry(Clock.systemUTC(), 10);
    private final List<InstanceLease> leases = new ArrayList<>();
    private final List<InstanceLifecycle> managers = new ArrayList<>();
    private InstanceLifecycle manager;

    @BeforeAll
    static void open() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        calls = Executors.newFixedThreadPool(8);
        client = new SwarmClient(swarm.dockerHost(), calls, SwarmClient.DEFAULT_CALL_TIMEOUT);
    }

    @AfterAll
    static void close() {
        client.close();
        calls.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws Exception {
        manager = newManager();
        services.tell(manager);
        manager.start().get(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        leases.forEach(InstanceLease::release);
        for (InstanceLifecycle each : managers) {
            each.shutdown(Duration.ZERO).get(60, TimeUnit.SECONDS);
        }
        for (SwarmService left : await(client.listManaged(swarm.installationId()))) {
            await(client.removeService(left.name()));
        }
    }

    private InstanceLifecycle newManager() {
        InstanceLifecycle created = InstanceLifecycle.onSwarm(client, new SwarmSettings(TaskPolling.defaults(),
                        Duration.ofSeconds(5), false), ForkJoinPool.commonPool(),
                new ReadinessProbe(NioSocketChannel::new, Duration.ofSeconds(1)), group, swarm.installationId(),
                services.directory, Clock.systemUTC(), new InstanceManagerConfig(1, 100, Duration.ofSeconds(10),
                        Duration.ofMillis(200), Duration.ofSeconds(2)), new ClessMetrics(new SimpleMeterRegistry()), StartGate.OPEN);
        managers.add(created);
        return created;
    }

    private static ServiceDefinition.Builder service(String image) {
        String name = "sw-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String[] ref = image.split(":");
        return ServiceDefinition.builder(name).imageName(ref[0]).imageTag(ref[1]).port(TestImages.PORT)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(30);
    }

    private InstanceLease lease(InstanceLifecycle from, ServiceDefinition def) throws Exception {
        Future<InstanceLease> future = from.acquire(def, group.next());
        assertThat(future.await(90, TimeUnit.SECONDS)).as("acquire completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        leases.add(future.getNow());
        return future.getNow();
    }

    private static String revisionOf(ServiceDefinition def, int number) {
        return def.name() + "-" + String.format("%05d", number);
    }

    private static int replicas(String revision) {
        return await(client.service(SwarmServiceSpec.nameFor(revision))).replicas();
    }

    /** The running tasks of {@code revision}; none while its service does not exist. */
    private static List<SwarmTask> running(String revision) {
        String name = SwarmServiceSpec.nameFor(revision);
        if (await(client.listManaged(swarm.installationId())).stream().noneMatch(s -> s.name().equals(name))) {
            return List.of();
        }
        return await(client.tasks(name)).stream().filter(SwarmTask::isRunning).toList();
    }

    @Test
    void aRevisionGetsItsServiceAtZeroReplicasAndAColdStartLeasesItsTaskAtTheNodesAddress() throws Exception {
        ServiceDefinition def = services.create(service(TestImages.HELLO).env(Map.of("GREETING", "hi"))
                .build());
        String revision = revisionOf(def, 1);
        until(() -> await(client.listManaged(swarm.installationId())).stream()
                .anyMatch(s -> s.name().equals(SwarmServiceSpec.nameFor(revision))), "the service made ahead");
        assertThat(replicas(revision)).isZero();

        InstanceLease lease = lease(manager, def);

        InetSocketAddress address = lease.address();
        assertThat(address.getAddress()).isEqualTo(swarm.nodeAddress());
        assertThat(DockerSupport.awaitHttp(address, "/cgi-bin/env", WAIT)).contains("PORT=8080")
                .contains("GREETING=hi");
        assertThat(replicas(revision)).isEqualTo(1);
        assertThat(running(revision)).singleElement().satisfies(task ->
                assertThat(task.id()).isEqualTo(lease.instanceId()));
        assertThat(manager.instances(def.name())).singleElement().satisfies(info -> {
            assertThat(info.id()).isEqualTo(lease.instanceId());
            assertThat(info.state()).isEqualTo(InstanceState.READY);
            assertThat(info.hostPort()).isEqualTo(address.getPort());
            assertThat(info.revision()).isEqualTo(revision);
        });
    }

    @Test
    void anIdleInstanceScalesTheRevisionToZeroAndTheNextRequestStartsAnotherTask() throws Exception {
        ServiceDefinition def = services.create(service(TestImages.HELLO).idleTimeoutSeconds(1).build());
        String revision = revisionOf(def, 1);
        InstanceLease first = lease(manager, def);
        String firstTask = first.instanceId();
        first.release();
        leases.remove(first);

        until(() -> replicas(revision) == 0, "scaled to zero");
        until(() -> running(revision).isEmpty(), "its task gone");
        until(() -> manager.instances(def.name()).isEmpty(), "no instance left");

        InstanceLease second = lease(manager, def);
        assertThat(second.instanceId()).isNotEqualTo(firstTask);
        assertThat(DockerSupport.awaitHttp(second.address(), "/", WAIT)).contains(TestImages.HELLO_BODY);
    }

    @Test
    void aHerdOfFirstRequestsStartsOneTask() throws Exception {
        ServiceDefinition def = services.create(service(TestImages.HELLO).maxInstances(3).build());
        List<Future<InstanceLease>> herd = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            herd.add(manager.acquire(def, group.next()));
        }
        for (Future<InstanceLease> one : herd) {
            assertThat(one.await(90, TimeUnit.SECONDS)).isTrue();
            assertThat(one.cause()).isNull();
            leases.add(one.getNow());
        }

        assertThat(leases).extracting(InstanceLease::instanceId).containsOnly(leases.get(0).instanceId());
        assertThat(replicas(revisionOf(def, 1))).isEqualTo(1);
    }

    @Test
    void aNewRevisionServesAndTheOldOnesServiceIsRemovedOnceItDrained() throws Exception {
        ServiceDefinition def = services.create(service(TestImages.HELLO).build());
        InstanceLease old = lease(manager, def);

        ServiceDefinition changed = services.update(def.toBuilder().env(Map.of("GREETING", "v2")).build());
        InstanceLease current = lease(manager, changed);

        assertThat(current.instanceId()).isNotEqualTo(old.instanceId());
        assertThat(DockerSupport.awaitHttp(current.address(), "/cgi-bin/env", WAIT)).contains("GREETING=v2");
        String oldService = SwarmServiceSpec.nameFor(revisionOf(def, 1));
        assertThat(await(client.listManaged(swarm.installationId()))).extracting(SwarmService::name)
                .as("kept while its request is in flight").contains(oldService);
        old.release();
        leases.remove(old);
        until(() -> await(client.listManaged(swarm.installationId())).stream()
                .noneMatch(s -> s.name().equals(oldService)), "the old revision's service removed");
    }

    @Test
    void aMissingImageFailsTheStartNamingTheImageAndTheNode() throws Exception {
        String missing = "cless-test/missing-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ":latest";
        ServiceDefinition def = services.create(service(missing).build());

        Future<InstanceLease> future = manager.acquire(def, group.next());

        assertThat(future.await(90, TimeUnit.SECONDS)).isTrue();
        assertThat(future.cause()).isInstanceOf(AcquireFailure.class);
        AcquireFailure failure = (AcquireFailure) future.cause();
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("image " + missing + " is missing on node ")
                .contains(swarm.nodeAddress().getHostAddress());
    }

    @Test
    void aRestartedLifecycleAdoptsTheRunningTaskOfARevisionThatServes() throws Exception {
        ServiceDefinition def = services.create(service(TestImages.HELLO).minInstances(1).build());
        String revision = revisionOf(def, 1);
        until(() -> running(revision).size() == 1, "min_instances started");
        String task = running(revision).get(0).id();
        until(() -> manager.instances(def.name()).stream()
                .anyMatch(i -> i.state() == InstanceState.READY), "the instance ready");
        managers.remove(manager);
        manager.shutdown(Duration.ZERO).get(60, TimeUnit.SECONDS); // the swarm's services stay

        InstanceLifecycle restarted = newManager();
        services.tell(restarted);
        restarted.start().get(60, TimeUnit.SECONDS);
        InstanceLease lease = lease(restarted, def);

        assertThat(lease.instanceId()).isEqualTo(task);
        assertThat(running(revision)).extracting(SwarmTask::id).containsExactly(task);
        assertThat(replicas(revision)).isEqualTo(1);
    }

    private static void until(BooleanSupplier condition, String what) {
        Waits.until(WAIT, what, condition);
    }
}
