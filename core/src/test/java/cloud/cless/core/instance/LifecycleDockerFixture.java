package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.DockerContainerRuntime;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.TestImages;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.EngineExecutors;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An {@link InstanceLifecycle} on the real engine through {@link DockerContainerRuntime}, with a real registry
 * ({@link TestRegistry}) that tells it of changes. Each test has an installation id of its own, so that counting
 * this installation's containers counts that test's only, and ends with none of them left.
 */
abstract class LifecycleDockerFixture {

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    static EventLoopGroup group;
    /** Laid out as the server lays them out: quick calls and slow ones on pools of their own. */
    static EngineExecutors engine;
    static DockerClient client;

    final TestRegistry services = new TestRegistry(Clock.systemUTC(), 10);
    final List<String> foreignContainers = new ArrayList<>();
    final List<InstanceLease> leases = new CopyOnWriteArrayList<>();
    final List<InstanceLifecycle> managers = new ArrayList<>();
    final TestPorts ports = new TestPorts();
    String installationId;
    DockerContainerRuntime runtime;
    InstanceLifecycle manager;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        engine = new EngineExecutors(8, 8);
        client = DockerSupport.newClient();
    }

    @AfterAll
    static void stopLoops() throws Exception {
        client.close();
        engine.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void createManager() {
        // Per test, so that counting this installation's containers counts this test's only.
        installationId = DockerSupport.newInstallationId();
        runtime = new DockerContainerRuntime(null, engine);
        manager = newManager(runtime, ports, 1);
        services.tell(manager);
    }

    @AfterEach
    void shutDown() throws Exception {
        try {
            for (String id : foreignContainers) {
                client.removeContainerCmd(id).withForce(true).exec();
            }
            leases.forEach(InstanceLease::release);
            for (InstanceLifecycle each : managers) {
                each.shutdown(Duration.ZERO).get(60, TimeUnit.SECONDS);
            }
            assertThat(containers()).as("containers left after shutdown").isEmpty();
        } finally {
            runtime.close();
            DockerSupport.cleanup(installationId);
        }
    }

    InstanceLifecycle newManager(DockerContainerRuntime on, HostPorts hostPorts, int stopGraceSeconds) {
        InstanceLifecycle created = new InstanceLifecycle(on, hostPorts, engine.control(),
                new ReadinessProbe(NioSocketChannel::new, Duration.ofSeconds(1)), group, installationId,
                services.directory, Clock.systemUTC(), new InstanceManagerConfig(stopGraceSeconds, 100,
                        Duration.ofSeconds(10), Duration.ofMillis(200), Duration.ofSeconds(2)),
                new ClessMetrics(new SimpleMeterRegistry()));
        managers.add(created);
        return created;
    }

    static ServiceDefinition.Builder service(String name, String image) {
        String[] ref = image.split(":");
        return ServiceDefinition.builder(name).imageName(ref[0]).imageTag(ref[1]).port(TestImages.PORT)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(30);
    }

    /** A service name unique on the engine, so that container names never clash with a parallel run. */
    static String unique(String prefix) {
        return prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    }

    /** An acquire of {@code def}, which is registered first when it is not yet. */
    Future<InstanceLease> acquire(InstanceLifecycle from, ServiceDefinition def) {
        if (services.service(def.name()) == null) {
            services.existing(def);
        }
        return from.acquire(def, group.next());
    }

    InstanceLease lease(InstanceLifecycle from, ServiceDefinition def) throws Exception {
        Future<InstanceLease> future = acquire(from, def);
        assertThat(future.await(90, TimeUnit.SECONDS)).as("acquire completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        leases.add(future.getNow());
        return future.getNow();
    }

    /** Awaits every one of {@code acquired}, which must all succeed, and keeps the leases for the teardown. */
    List<InstanceLease> awaitAll(List<Future<InstanceLease>> acquired) throws InterruptedException {
        List<InstanceLease> got = new ArrayList<>();
        for (Future<InstanceLease> future : acquired) {
            assertThat(future.await(120, TimeUnit.SECONDS)).as("acquire completed").isTrue();
            assertThat(future.cause()).as("acquire failed").isNull();
            got.add(future.getNow());
        }
        leases.addAll(got);
        return got;
    }

    static AcquireFailure failureOf(Future<?> future) throws InterruptedException {
        assertThat(future.await(90, TimeUnit.SECONDS)).as("acquire completed").isTrue();
        assertThat(future.cause()).isInstanceOf(AcquireFailure.class);
        return (AcquireFailure) future.cause();
    }

    List<Container> containers() {
        return client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ContainerLabels.INSTALLATION, installationId)).exec();
    }

    /** This test's containers that are or were started: all but the spares, which are only created. */
    List<Container> instanceContainers() {
        return containers().stream().filter(c -> !"created".equals(c.getState())).toList();
    }

    /** The spare container of {@code service} once there is one other than {@code not}. */
    Container awaitSpare(String service, String not) throws InterruptedException {
        // The engine lists a container it is still registering, before an inspect of it finds it: wait for both.
        waitUntil(() -> {
            Container spare = spareOf(service, not);
            return spare != null && !"removed".equals(stateOf(spare.getId()));
        });
        return spareOf(service, not);
    }

    Container spareOf(String service, String not) {
        return containers().stream().filter(c -> "created".equals(c.getState())
                        && service.equals(c.getLabels().get(ContainerLabels.SERVICE)) && !c.getId().equals(not))
                .findFirst().orElse(null);
    }

    String stateOf(String containerId) {
        try {
            return client.inspectContainerCmd(containerId).exec().getState().getStatus();
        } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
            return "removed";
        }
    }

    static String get(InstanceLease lease, String path) throws Exception {
        return DockerSupport.httpGet(lease.address().getPort(), path);
    }

}
