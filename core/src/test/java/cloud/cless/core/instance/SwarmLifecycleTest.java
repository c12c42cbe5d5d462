package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static cloud.cless.core.runtime.swarm.SwarmTasks.rejected;
import static cloud.cless.core.runtime.swarm.SwarmTasks.runningOnLoopback;
import static cloud.cless.core.runtime.swarm.SwarmTasks.shuttingDownOnLoopback;
import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.runtime.swarm.FakeSwarm;
import cloud.cless.core.runtime.swarm.SwarmTask;
import cloud.cless.core.runtime.swarm.TaskPolling;
import cloud.cless.core.service.ServiceDefinition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle on a swarm kept in memory ({@link FakeSwarm}), whose tasks are fake apps on loopback: what the pool
 * asks of the swarm (replicas up on a cold start, down by one when an idle instance is reaped), and what it does
 * with what the swarm reports (the task Swarm picked drains, the one let go is kept, a rejected task fails the start,
 * a revision that serves no more loses its service once drained).
 */
class SwarmLifecycleTest {
    private static final String INSTALLATION = "inst-fake";

    private static EventLoopGroup group;

    private final FakeSwarm swarm = new FakeSwarm();
    private final TestRegistry services = new TestRegistry(Clock.systemUTC(), 10);
    private final List<FakeAppServer> apps = new ArrayList<>();
    private final List<InstanceLease> leases = new ArrayList<>();
    private InstanceLifecycle manager;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws Exception {
        manager = newManager(false, Clock.systemUTC());
    }

    /** A lifecycle on the fake swarm that hears of the registry's changes; {@code leaderScales} as in a cluster. */
    private InstanceLifecycle newManager(boolean leaderScales, Clock clock) throws Exception {
        InstanceLifecycle created = InstanceLifecycle.onSwarm(swarm, new SwarmSettings(new TaskPolling(
                        Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMillis(50)), Duration.ofSeconds(2),
                        leaderScales), ForkJoinPool.commonPool(),
                new ReadinessProbe(NioSocketChannel::new, Duration.ofSeconds(1)), group, INSTALLATION,
                services.directory, clock, new InstanceManagerConfig(1, 100, Duration.ofSeconds(10),
                        Duration.ofMillis(100), Duration.ofSeconds(2)), new ClessMetrics(new SimpleMeterRegistry()),
                StartGate.OPEN);
        services.tell(created);
        created.start().get(10, TimeUnit.SECONDS);
        return created;
    }

    @AfterEach
    void stop() throws Exception {
        leases.forEach(InstanceLease::release);
        manager.shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
        for (FakeAppServer app : apps) {
            app.close();
        }
    }

    private static ServiceDefinition.Builder service(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/hello").imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(2).concurrency(1).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(10);
    }

    /** A task of {@code service} (named {@code cless-<service>-00001}) running at a new fake app. */
    private SwarmTask task(String id, String swarmService) throws Exception {
        FakeAppServer app = FakeAppServer.start(0, FakeAppServer.Mode.RESPOND);
        apps.add(app);
        return runningOnLoopback(id, swarm.serviceId(swarmService), app.port());
    }

    private InstanceLease lease(ServiceDefinition def) throws Exception {
        Future<InstanceLease> future = manager.acquire(def, group.next());
        assertThat(future.await(30, TimeUnit.SECONDS)).as("acquire completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        leases.add(future.getNow());
        return future.getNow();
    }

    private List<String> instanceIds(String service, InstanceState state) {
        return manager.instances(service).stream().filter(i -> i.state() == state).map(InstanceInfo::id).toList();
    }

    @Test
    void aColdStartAsksForOneReplicaAndLeasesTheTaskThatRuns() throws Exception {
        ServiceDefinition def = services.create(service("cold").build());
        waitUntil(() -> swarm.exists("cless-cold-00001"));
        assertThat(swarm.replicas("cless-cold-00001")).isZero();

        Future<InstanceLease> acquired = manager.acquire(def, group.next());
        waitUntil(() -> swarm.replicas("cless-cold-00001") == 1);
        SwarmTask task = task("t1", "cless-cold-00001");
        swarm.setTasks("cless-cold-00001", task);

        assertThat(acquired.await(30, TimeUnit.SECONDS)).isTrue();
        InstanceLease lease = acquired.getNow();
        leases.add(lease);
        assertThat(lease.instanceId()).isEqualTo("t1");
        assertThat(lease.address().getPort()).isEqualTo(task.publishedPort());
        assertThat(instanceIds("cold", InstanceState.READY)).containsExactly("t1");
    }

    @Test
    void theTaskSwarmPicksOnAScaleDownDrainsAndTheOneLetGoStays() throws Exception {
        ServiceDefinition def = services.create(service("pick").minInstances(1).idleTimeoutSeconds(1).build());
        waitUntil(() -> swarm.exists("cless-pick-00001"));
        SwarmTask a = task("a", "cless-pick-00001");
        SwarmTask b = task("b", "cless-pick-00001");
        swarm.setTasks("cless-pick-00001", a);
        InstanceLease first = lease(def); // a, at concurrency 1: the second request needs another task
        Future<InstanceLease> second = manager.acquire(def, group.next());
        waitUntil(() -> swarm.replicas("cless-pick-00001") == 2);
        swarm.setTasks("cless-pick-00001", a, b);
        assertThat(second.await(30, TimeUnit.SECONDS)).isTrue();
        leases.add(second.getNow());
        assertThat(List.of(first.instanceId(), second.getNow().instanceId())).containsExactlyInAnyOrder("a", "b");
        leases.forEach(InstanceLease::release);
        leases.clear();

        // Idle beyond min_instances 1: the pool lets one go; the swarm's count goes down by one.
        waitUntil(() -> swarm.replicas("cless-pick-00001") == 1);
        waitUntil(() -> manager.instances("pick").size() == 1);
        String kept = manager.instances("pick").get(0).id();
        String letGo = kept.equals("a") ? "b" : "a";
        // Swarm picks the other one.
        SwarmTask keptTask = kept.equals("a") ? a : b;
        SwarmTask letGoTask = kept.equals("a") ? b : a;
        swarm.setTasks("cless-pick-00001", shuttingDownOnLoopback(kept, keptTask.serviceId(), keptTask.publishedPort()),
                letGoTask);

        waitUntil(() -> instanceIds("pick", InstanceState.READY).equals(List.of(letGo)));
        assertThat(manager.instances("pick")).extracting(InstanceInfo::id).containsExactly(letGo);
        assertThat(swarm.replicas("cless-pick-00001")).isEqualTo(1);
        assertThat(lease(def).instanceId()).isEqualTo(letGo);
    }

    @Test
    void whereALeaderScalesAStartAsksForOneReplicaAtMostAndNoIdleInstanceIsReapedHere() throws Exception {
        manager.shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
        MutableClock clock = new MutableClock();
        manager = newManager(true, clock);
        ServiceDefinition def = services.create(service("led").maxInstances(3).idleTimeoutSeconds(1).build());
        waitUntil(() -> swarm.exists("cless-led-00001"));
        SwarmTask a = task("a", "cless-led-00001");
        Future<InstanceLease> first = manager.acquire(def, group.next());
        waitUntil(() -> swarm.replicas("cless-led-00001") == 1);
        swarm.setTasks("cless-led-00001", a);
        assertThat(first.await(30, TimeUnit.SECONDS)).isTrue();
        leases.add(first.getNow());

        int updates = swarm.replicaUpdates();
        Future<InstanceLease> second = manager.acquire(def, group.next()); // a is full: another instance is needed
        waitUntil(() -> manager.instances("led").size() == 2 && swarm.replicaUpdates() > updates);
        assertThat(swarm.replicas("cless-led-00001")).as("beyond the first, the leader decides").isEqualTo(1);
        await(swarm.updateReplicas("cless-led-00001", r -> 2)); // as the leader would, from the reports
        swarm.setTasks("cless-led-00001", a, task("b", "cless-led-00001"));
        assertThat(second.await(30, TimeUnit.SECONDS)).isTrue();
        leases.add(second.getNow());
        assertThat(second.getNow().instanceId()).isEqualTo("b");
        leases.forEach(InstanceLease::release);
        leases.clear();

        clock.advanceMillis(Duration.ofHours(1).toMillis());
        manager.maintainAll();

        assertThat(instanceIds("led", InstanceState.READY)).containsExactlyInAnyOrder("a", "b");
        assertThat(swarm.replicas("cless-led-00001")).isEqualTo(2);
    }

    @Test
    void aRejectedTaskFailsTheStartNamingImageAndNodeAndRepeatedRejectionsScaleToZero() throws Exception {
        ServiceDefinition def = services.create(service("bad").build());
        waitUntil(() -> swarm.exists("cless-bad-00001"));
        String id = swarm.serviceId("cless-bad-00001");
        List<SwarmTask> rejections = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int listed = swarm.taskListings();
            Future<InstanceLease> acquired = manager.acquire(def, group.next());
            waitUntil(() -> swarm.replicas("cless-bad-00001") == 1);
            // Polled since: the rejection is news, not the history a first listing finds.
            waitUntil(() -> swarm.taskListings() >= listed + 2);
            rejections.add(rejected("r" + i, id, "cless-test/hello:latest"));
            swarm.setTasks("cless-bad-00001", rejections.toArray(SwarmTask[]::new));

            assertThat(acquired.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(acquired.cause()).isInstanceOf(AcquireFailure.class);
            AcquireFailure failure = (AcquireFailure) acquired.cause();
            assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
            assertThat(failure.getMessage()).isEqualTo("service bad (revision bad-00001): image"
                    + " cless-test/hello:latest is missing on node lab-n1 (10.214.9.11) of the swarm (No such image:"
                    + " cless-test/hello:latest; task r" + i + " rejected)");
        }

        waitUntil(() -> swarm.replicas("cless-bad-00001") == 0);
    }

    @Test
    void aTaskThatEndsIsReplacedByTheNextRequest() throws Exception {
        ServiceDefinition def = services.create(service("ends").build());
        waitUntil(() -> swarm.exists("cless-ends-00001"));
        swarm.setTasks("cless-ends-00001", task("t1", "cless-ends-00001"));
        lease(def).release();
        leases.clear();

        swarm.setTasks("cless-ends-00001"); // the task ended (Swarm starts another in its slot)
        waitUntil(() -> manager.instances("ends").isEmpty());

        Future<InstanceLease> acquired = manager.acquire(def, group.next());
        swarm.setTasks("cless-ends-00001", task("t2", "cless-ends-00001"));
        assertThat(acquired.await(30, TimeUnit.SECONDS)).isTrue();
        leases.add(acquired.getNow());
        assertThat(acquired.getNow().instanceId()).isEqualTo("t2");
    }

    @Test
    void whileTheManagerDoesNotAnswerAColdStartIs503AtOnceAndWorksAgainOnceItAnswers() throws Exception {
        ServiceDefinition def = services.create(service("outage").build());
        waitUntil(() -> swarm.exists("cless-outage-00001"));
        swarm.down(new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "the Swarm manager at unix:///fake is unreachable", null));
        waitUntil(() -> failsAtOnce(def));

        swarm.down(null);
        swarm.setTasks("cless-outage-00001", task("t1", "cless-outage-00001"));
        waitUntil(() -> !failsAtOnce(def));
        assertThat(lease(def).instanceId()).isEqualTo("t1");
    }

    /** Whether an acquire of {@code def} fails with 503 (the manager known not to answer) within 100 ms. */
    private boolean failsAtOnce(ServiceDefinition def) {
        Future<InstanceLease> acquired = manager.acquire(def, group.next());
        if (!acquired.awaitUninterruptibly(100) || acquired.isSuccess()) {
            acquired.cancel(false);
            if (acquired.isSuccess()) {
                acquired.getNow().release();
            }
            return false;
        }
        return acquired.cause() instanceof AcquireFailure failure
                && failure.reason() == AcquireFailure.Reason.UNAVAILABLE
                && failure.getMessage().contains("unix:///fake is unreachable");
    }

    @Test
    void aRevisionThatServesNoMoreLosesItsServiceOnceItsRequestsAreDone() throws Exception {
        ServiceDefinition def = services.create(service("moved").build());
        waitUntil(() -> swarm.exists("cless-moved-00001"));
        swarm.setTasks("cless-moved-00001", task("old", "cless-moved-00001"));
        InstanceLease old = lease(def);

        services.update(def.toBuilder().env(Map.of("V", "2")).build());
        waitUntil(() -> swarm.exists("cless-moved-00002"));
        assertThat(swarm.exists("cless-moved-00001")).as("kept while its request is in flight").isTrue();

        old.release();
        leases.clear();
        waitUntil(() -> !swarm.exists("cless-moved-00001"));
        assertThat(swarm.exists("cless-moved-00002")).isTrue();
    }
}
