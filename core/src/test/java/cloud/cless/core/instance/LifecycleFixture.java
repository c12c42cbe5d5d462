package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ServiceDefinition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * An {@link InstanceLifecycle} over a {@link FakeRuntime}: real readiness probes, ports and event loops, a clock the
 * tests move, maintenance ticks the tests run ({@link #tick()}) and engine listings they ask for
 * ({@link #listEngine()}) instead of waiting for them. Every test ends with no container and no port left.
 */
abstract class LifecycleFixture {
    static final String INSTALLATION = "test-installation";
    static EventLoopGroup group;

    final FakeRuntime runtime = new FakeRuntime();
    final TestPorts ports = new TestPorts();
    final MutableClock clock = new MutableClock();
    final TestDirectory directory = new TestDirectory();
    final List<InstanceLease> leases = new CopyOnWriteArrayList<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    InstanceLifecycle manager;
    /** The start gate the lifecycle consults; open unless a test closes it. */
    volatile StartGate startGate = StartGate.OPEN;

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
        // Stop grace 0, a queue of 2 waiting up to 300 ms; no tick and no listing but those a test runs.
        manager = new InstanceLifecycle(runtime, ports, ForkJoinPool.commonPool(),
                new ReadinessProbe(NioSocketChannel::new, Duration.ofMillis(500)), group, INSTALLATION, directory,
                clock, new InstanceManagerConfig(0, 2, Duration.ofMillis(300), Duration.ofHours(1),
                        Duration.ofHours(1)), new ClessMetrics(meters), () -> startGate.refusal());
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

    static ServiceDefinition.Builder service(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(10);
    }

    /** Registers {@code def} as the registry does: current from now on, then the listener is told. */
    ServiceDefinition registered(ServiceDefinition def) {
        directory.put(def);
        manager.serviceCreated(def);
        return def;
    }

    ServiceDefinition updated(ServiceDefinition previous, ServiceDefinition current) {
        directory.put(current);
        manager.serviceUpdated(previous, current);
        return current;
    }

    void deleted(ServiceDefinition def) {
        directory.remove(def.name());
        manager.serviceDeleted(def);
    }

    /** One maintenance tick, as the scheduler would run it. */
    void tick() {
        manager.maintainAll();
    }

    /** One listing of the engine, as the watch takes it every survey interval. */
    void listEngine() throws Exception {
        manager.engine().check().get(30, TimeUnit.SECONDS);
    }

    /** An acquire for {@code def}, registered first when it is not yet. */
    Future<InstanceLease> acquire(ServiceDefinition def) {
        if (directory.current(def.name()) == null) {
            registered(def);
        }
        return manager.acquire(def, group.next());
    }

    InstanceLease lease(ServiceDefinition def) throws Exception {
        InstanceLease lease = await(acquire(def));
        leases.add(lease);
        return lease;
    }

    static <T> T await(Future<T> future) throws Exception {
        assertThat(future.await(30, TimeUnit.SECONDS)).as("future completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        return future.getNow();
    }

    static AcquireFailure failureOf(Future<?> future) throws InterruptedException {
        assertThat(future.await(30, TimeUnit.SECONDS)).as("future completed").isTrue();
        assertThat(future.cause()).isInstanceOf(AcquireFailure.class);
        return (AcquireFailure) future.cause();
    }

    /** A counter's value; 0 before it exists (meters are made when first needed). */
    double count(String name, String service, String... tags) {
        io.micrometer.core.instrument.Counter counter = meters.find(name).tag("service", service).tags(tags)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    double instancesIn(String service, String state) {
        return meters.get("cless.instances").tags("service", service, "state", state).gauge().value();
    }

    /** Containers of {@code service} created but not started: its spare. */
    long spares(String service) {
        return runtime.containers.values().stream()
                .filter(c -> "created".equals(c.state) && service.equals(c.spec.labels().get(ContainerLabels.SERVICE)))
                .count();
    }

    /** The one spare container of {@code service}, once it exists. */
    FakeRuntime.Container awaitSpare(String service) throws InterruptedException {
        waitUntil(() -> spares(service) == 1);
        return runtime.containers.values().stream()
                .filter(c -> "created".equals(c.state) && service.equals(c.spec.labels().get(ContainerLabels.SERVICE)))
                .findFirst().orElseThrow();
    }

    long running() {
        return runtime.containers.values().stream().filter(c -> "running".equals(c.state)).count();
    }

    static RuntimeFailure engineUnreachable() {
        return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "Docker engine at unix:///nowhere/docker.sock is unreachable", null);
    }
}
