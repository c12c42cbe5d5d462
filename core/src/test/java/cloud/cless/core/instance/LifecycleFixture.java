package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceDefinition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
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
import java.util.concurrent.ThreadLocalRandom;
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
    final TestRegistry services = new TestRegistry(clock, revisionHistory());
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
                new ReadinessProbe(NioSocketChannel::new, Duration.ofMillis(500)), group, INSTALLATION,
                services.directory, clock, new InstanceManagerConfig(0, 2, Duration.ofMillis(300), Duration.ofHours(1),
                        Duration.ofHours(1)), new ClessMetrics(meters), () -> startGate.refusal());
        services.tell(manager);
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

    /** The revisions kept whatever their traffic; a constant (it is read while the fixture is made). */
    int revisionHistory() {
        return 10;
    }

    static ServiceDefinition.Builder service(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .startupTimeoutSeconds(10);
    }

    /** Registers {@code def}: current from now on, the lifecycle told. Returns it as stored. */
    ServiceDefinition registered(ServiceDefinition def) {
        return services.create(def);
    }

    /** Replaces the definition of {@code current}'s service: a change to what containers run is a new revision. */
    ServiceDefinition updated(ServiceDefinition previous, ServiceDefinition current) {
        return services.update(current);
    }

    void deleted(ServiceDefinition def) {
        services.delete(def.name());
    }

    /** Where a request for {@code host} goes now. */
    Route route(String host) {
        Route route = services.registry.route(host);
        assertThat(route).as("a route for %s", host).isNotNull();
        return route;
    }

    /** An acquire the way the proxy makes one: routed by {@code host}, the revision chosen as routing chose it. */
    Future<InstanceLease> acquireAt(String host) {
        Route route = route(host);
        return manager.acquire(route, route.revision(ThreadLocalRandom.current()), group.next());
    }

    /** The revision whose env has {@code V=<version>} runs in the container behind {@code lease}. */
    String versionOf(InstanceLease lease) {
        return runtime.containers.values().stream()
                .filter(c -> c.spec.hostPort() == lease.address().getPort() && !"exited".equals(c.state))
                .map(c -> c.spec.env().get("V")).findFirst().orElse(null);
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
        if (services.service(def.name()) == null) {
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
        Counter counter = meters.find(name).tag("service", service).tags(tags)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    /** Instances of {@code service} in {@code state}, over all of its revisions. */
    double instancesIn(String service, String state) {
        return meters.find("cless.instances").tags("service", service, "state", state).gauges().stream()
                .mapToDouble(Gauge::value).sum();
    }

    double instancesIn(String service, String revision, String state) {
        return meters.get("cless.instances").tags("service", service, "revision", revision, "state", state).gauge()
                .value();
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

    /** Containers of {@code revision} created but not started: its spare. */
    long sparesOf(String revision) {
        return runtime.containers.values().stream()
                .filter(c -> "created".equals(c.state)
                        && revision.equals(c.spec.labels().get(ContainerLabels.REVISION)))
                .count();
    }

    /** Containers ever created for {@code revision}, spares included. */
    long createdFor(String revision) {
        return runtime.created.stream().filter(spec -> revision.equals(spec.labels().get(ContainerLabels.REVISION)))
                .count();
    }

    long running() {
        return runtime.containers.values().stream().filter(c -> "running".equals(c.state)).count();
    }

    static RuntimeFailure engineUnreachable() {
        return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "Docker engine at unix:///nowhere/docker.sock is unreachable", null);
    }
}
