package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.DockerContainerRuntime;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.testing.TestImages;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.netty.util.concurrent.Future;
import cloud.cless.core.port.PortAllocator;
import cloud.cless.core.port.PortRange;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link InstanceLifecycle} on the real engine through {@link DockerContainerRuntime}. */
class InstanceLifecycleDockerTest extends LifecycleDockerFixture {

    private String containerIdOf(String service, InstanceLease lease) {
        return manager.instances(service).stream().filter(i -> i.id().equals(lease.instanceId()))
                .findFirst().orElseThrow().containerId();
    }

    @Test
    void coldStartServesAndAWarmAcquireReusesTheContainer() throws Exception {
        ServiceDefinition hello = service(unique("hello"), TestImages.HELLO).build();

        InstanceLease first = lease(manager, hello);

        assertThat(first.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(get(first, "/")).startsWith("HTTP/1.").contains(" 200 ").contains(TestImages.HELLO_BODY);
        InstanceLease second = lease(manager, hello);
        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        assertThat(second.address()).isEqualTo(first.address());
        assertThat(containers()).hasSize(1);
        assertThat(manager.instances(hello.name())).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(InstanceState.READY);
            assertThat(info.inFlightRequests()).isEqualTo(2);
            assertThat(info.containerId()).isEqualTo(containers().get(0).getId());
        });
    }

    @Test
    void slowStartingAppIsReadyOnlyOnceItListens() throws Exception {
        ServiceDefinition slow = service(unique("slow"), TestImages.SLOW_START).build();

        InstanceLease lease = lease(manager, slow);

        // docker-proxy accepted from the start; had the probe trusted it, this would be a reset.
        assertThat(get(lease, "/")).contains(" 200 ").contains(TestImages.HELLO_BODY);
        assertThat(manager.instances(slow.name()).get(0).coldStartMillis()).isGreaterThanOrEqualTo(1500);
    }

    @Test
    void fiftyConcurrentFirstAcquiresMakeOneContainer() throws Exception {
        ServiceDefinition hello = service(unique("herd"), TestImages.HELLO).build();

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acquired.add(acquire(manager, hello));
        }
        awaitAll(acquired);

        assertThat(leases).extracting(InstanceLease::instanceId).containsOnly(leases.get(0).instanceId());
        assertThat(containers()).hasSize(1);
        assertThat(get(leases.get(49), "/")).contains(TestImages.HELLO_BODY);
    }

    @Test
    void missingImageFailsNamingItAndOtherServicesStillStart() throws Exception {
        String image = "cless-test/missing-" + ThreadLocalRandom.current().nextInt(1_000_000) + ":v1";
        ServiceDefinition missing = service(unique("missing"), image).build();

        AcquireFailure failure = failureOf(acquire(manager, missing));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains(missing.name(), image);
        waitUntil(() -> ports.held.isEmpty());
        assertThat(manager.instances(missing.name())).isEmpty();
        InstanceLease other = lease(manager, service(unique("other"), TestImages.HELLO).build());
        assertThat(get(other, "/")).contains(TestImages.HELLO_BODY);
    }

    @Test
    void containerSeesPortAndTheDefinitionsEnv() throws Exception {
        ServiceDefinition env = service(unique("env"), TestImages.HELLO).env(Map.of("GREETING", "hi there")).build();

        String printed = get(lease(manager, env), "/cgi-bin/env");

        assertThat(printed).contains("PORT=8080").contains("GREETING=hi there");
    }

    @Test
    void memoryAndCpuLimitsReachTheEngine() throws Exception {
        ServiceDefinition limited = service(unique("limited"), TestImages.HELLO).memoryMb(64).cpus(0.5).build();
        lease(manager, limited);

        InspectContainerResponse inspect = client.inspectContainerCmd(containers().get(0).getId()).exec();

        assertThat(inspect.getHostConfig().getMemory()).isEqualTo(64L * 1024 * 1024);
        assertThat(inspect.getHostConfig().getNanoCPUs()).isEqualTo(500_000_000L);
    }

    @Test
    void aSecondManagerAdoptsTheRunningContainerAndRemovesTheRest() throws Exception {
        ServiceDefinition hello = service(unique("hello"), TestImages.HELLO).build();
        ServiceDefinition stopped = service(unique("stopped"), TestImages.HELLO).build();
        ServiceDefinition unknown = service(unique("unknown"), TestImages.HELLO).build();
        InstanceLease served = lease(manager, hello);
        lease(manager, stopped);
        lease(manager, unknown);
        String stoppedId = containers().stream()
                .filter(c -> stopped.name().equals(c.getLabels().get(ContainerLabels.SERVICE)))
                .findFirst().orElseThrow().getId();
        client.stopContainerCmd(stoppedId).withTimeout(1).exec();
        leases.forEach(InstanceLease::release);
        leases.clear();
        // The first manager is left as if its process had died; the second takes over.
        managers.remove(manager);
        services.deletedMeanwhile(unknown.name());
        TestPorts secondPorts = new TestPorts();
        InstanceLifecycle second = newManager(runtime, secondPorts, 1);

        second.start().get(60, TimeUnit.SECONDS);

        assertThat(instanceContainers()).singleElement().satisfies(c -> {
            assertThat(c.getLabels()).containsEntry(ContainerLabels.INSTANCE, served.instanceId());
            assertThat(c.getState()).isEqualTo("running");
        });
        assertThat(secondPorts.held).contains(served.address().getPort());
        assertThat(second.instances(stopped.name())).isEmpty();
        InstanceLease adopted = lease(second, hello);
        assertThat(adopted.instanceId()).isEqualTo(served.instanceId());
        assertThat(adopted.address()).isEqualTo(served.address());
        assertThat(get(adopted, "/")).contains(TestImages.HELLO_BODY);
        assertThat(instanceContainers()).hasSize(1);
    }

    @Test
    void shutdownRemovesEveryContainer() throws Exception {
        lease(manager, service(unique("one"), TestImages.HELLO).build()).release();
        lease(manager, service(unique("two"), TestImages.SLOW_START).build()).release();
        assertThat(containers()).hasSize(2);

        manager.shutdown(Duration.ofSeconds(5)).get(60, TimeUnit.SECONDS);

        assertThat(containers()).isEmpty();
        assertThat(ports.held).isEmpty();
    }

    @Test
    void connectFailedAfterAKillGivesTheNextAcquireAFreshContainer() throws Exception {
        // Not started: no event stream, so only the failed connect tells the manager.
        ServiceDefinition hello = service(unique("killed"), TestImages.HELLO).build();
        InstanceLease lease = lease(manager, hello);
        String killedId = containerIdOf(hello.name(), lease);
        client.killContainerCmd(killedId).exec();

        lease.connectFailed(new java.net.ConnectException("Connection refused"));

        InstanceLease next = lease(manager, hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(get(next, "/")).contains(" 200 ").contains(TestImages.HELLO_BODY);
        waitUntil(() -> containers().stream().noneMatch(c -> c.getId().equals(killedId)));
        assertThat(containers()).hasSize(1);
    }

    @Test
    void killedContainerIsNoticedThroughEngineEvents() throws Exception {
        manager.start().get(60, TimeUnit.SECONDS);
        ServiceDefinition hello = service(unique("killed"), TestImages.HELLO).build();
        InstanceLease lease = lease(manager, hello);
        int port = lease.address().getPort();
        String killedId = containerIdOf(hello.name(), lease);
        lease.release();

        client.killContainerCmd(killedId).exec();

        waitUntil(() -> manager.instances(hello.name()).isEmpty());
        waitUntil(() -> !ports.held.contains(port));
        waitUntil(() -> instanceContainers().isEmpty());
        InstanceLease next = lease(manager, hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(get(next, "/")).contains(TestImages.HELLO_BODY);
    }

    @Test
    void unreachableEngineFailsColdStartsAtOnceAsUnavailable() throws Exception {
        try (DockerContainerRuntime unreachable = new DockerContainerRuntime("tcp://127.0.0.1:1", engine)) {
            InstanceLifecycle down = newManager(unreachable, ports, 1);
            managers.remove(down);
            try {
                down.start().get(30, TimeUnit.SECONDS);
                Future<InstanceLease> acquired = acquire(down, service(unique("hello"), TestImages.HELLO).build());

                assertThat(acquired.isDone()).as("failed without waiting on the engine").isTrue();
                AcquireFailure failure = failureOf(acquired);
                assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
                assertThat(failure.getMessage()).contains("tcp://127.0.0.1:1", "unreachable");
            } finally {
                down.shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void containerThatExitsWhileStartingFailsAtOnceNotAtTheStartupTimeout() throws Exception {
        String image = "cless-test/exits:latest";
        Path context = Files.createTempDirectory("cless-exits-");
        try {
            Path busybox = Files.copy(Path.of("/bin/busybox"), context.resolve("busybox"));
            Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path dockerfile = Files.writeString(context.resolve("Dockerfile"), "FROM scratch\n"
                    + "COPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\", \"exit 3\"]\n");
            TestImages.buildImage(image, context);
            Files.delete(dockerfile);
            Files.delete(busybox);
        } finally {
            Files.deleteIfExists(context);
        }
        manager.start().get(60, TimeUnit.SECONDS);
        ServiceDefinition exits = service(unique("exits"), image).startupTimeoutSeconds(60).build();

        AcquireFailure failure = failureOf(acquire(manager, exits));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains(exits.name(), image, "exited while starting");
        waitUntil(() -> instanceContainers().isEmpty() && ports.held.size() <= 1); // the spare's port at most
    }

    @Test
    void scalesOutToOneContainerPerConnectionUpToMaxInstances() throws Exception {
        ServiceDefinition busy = service(unique("busy"), TestImages.HELLO).concurrency(1).maxInstances(3).build();

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            acquired.add(acquire(manager, busy));
        }
        awaitAll(acquired);

        assertThat(leases).extracting(InstanceLease::instanceId).doesNotHaveDuplicates();
        assertThat(containers()).hasSize(3);
        for (InstanceLease lease : leases) {
            assertThat(get(lease, "/")).contains(TestImages.HELLO_BODY);
        }
    }

    @Test
    void idleContainerIsStoppedAndRemovedAndTheNextAcquireStartsAnother() throws Exception {
        ServiceDefinition idle = service(unique("idle"), TestImages.HELLO).idleTimeoutSeconds(1).build();
        services.existing(idle);
        manager.start().get(60, TimeUnit.SECONDS);
        InstanceLease first = lease(manager, idle);
        first.release();

        waitUntil(() -> manager.instances(idle.name()).isEmpty());
        waitUntil(() -> instanceContainers().isEmpty());

        InstanceLease next = lease(manager, idle);
        assertThat(next.instanceId()).isNotEqualTo(first.instanceId());
        assertThat(get(next, "/")).contains(TestImages.HELLO_BODY);
    }

    // ---- cold start off the critical path ----

    @Test
    void aRegisteredServiceGetsACreatedContainerWhichTheNextColdStartStarts() throws Exception {
        manager.start().get(60, TimeUnit.SECONDS);
        ServiceDefinition hello = service(unique("spare"), TestImages.HELLO).build();
        services.tell(manager);
        services.create(hello);

        Container spare = awaitSpare(hello.name(), null);
        assertThat(stateOf(spare.getId())).isEqualTo("created");
        assertThat(manager.instances(hello.name())).isEmpty();

        InstanceLease lease = lease(manager, hello);
        assertThat(containerIdOf(hello.name(), lease)).isEqualTo(spare.getId());
        assertThat(get(lease, "/")).contains(" 200 ").contains(TestImages.HELLO_BODY);
        awaitSpare(hello.name(), spare.getId()); // and the next one is made in the background
    }

    @Test
    void afterAnIdleStopTheNextRequestStartsThePreCreatedContainer() throws Exception {
        ServiceDefinition idle = service(unique("respare"), TestImages.HELLO).idleTimeoutSeconds(1).build();
        services.existing(idle);
        manager.start().get(60, TimeUnit.SECONDS);
        InstanceLease first = lease(manager, idle);
        String firstId = containerIdOf(idle.name(), first);
        first.release();

        waitUntil(() -> manager.instances(idle.name()).isEmpty());
        waitUntil(() -> containers().stream().noneMatch(c -> c.getId().equals(firstId)));
        Container spare = awaitSpare(idle.name(), firstId);

        InstanceLease next = lease(manager, idle);
        assertThat(containerIdOf(idle.name(), next)).isEqualTo(spare.getId());
        assertThat(get(next, "/")).contains(" 200 ").contains(TestImages.HELLO_BODY);
    }

    @Test
    void pauseModePausesTheIdleContainerAndTheNextRequestIsAnsweredByTheSameOne() throws Exception {
        ServiceDefinition napper = service(unique("napper"), TestImages.HELLO).idleTimeoutSeconds(1)
                .idleAction(cloud.cless.core.service.IdleAction.PAUSE).build();
        services.existing(napper);
        manager.start().get(60, TimeUnit.SECONDS);
        InstanceLease first = lease(manager, napper);
        String containerId = containerIdOf(napper.name(), first);
        assertThat(get(first, "/")).contains(" 200 ");
        first.release();

        waitUntil(() -> manager.instances(napper.name()).stream().anyMatch(i -> i.state() == InstanceState.PAUSED));
        waitUntil(() -> "paused".equals(stateOf(containerId)));

        InstanceLease next = lease(manager, napper);
        assertThat(next.instanceId()).isEqualTo(first.instanceId());
        assertThat(containerIdOf(napper.name(), next)).isEqualTo(containerId);
        assertThat(get(next, "/")).contains(" 200 ").contains(TestImages.HELLO_BODY);
        assertThat(stateOf(containerId)).isEqualTo("running");
    }

    // ---- ports and engine work that must not starve cold starts ----

    /**
     * A container outside this installation created with a binding on 127.0.0.1:{@code port} but not started (as
     * another installation's spare is): nothing listens there, so a bind check finds the port free, yet the
     * container takes it when it starts.
     */
    private String foreignContainer(int port) {
        String id = client.createContainerCmd(TestImages.HELLO)
                .withLabels(Map.of(ContainerLabels.INSTALLATION, installationId))
                .withExposedPorts(ExposedPort.tcp(TestImages.PORT))
                .withHostConfig(HostConfig.newHostConfig().withPortBindings(new PortBinding(
                        Ports.Binding.bindIpAndPort("127.0.0.1", port), ExposedPort.tcp(TestImages.PORT))))
                .exec().getId();
        foreignContainers.add(id);
        return id;
    }

    /** The first of {@code count} consecutive ports in the test range that are all free now. */
    private static int freeRun(int count) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(30000, 39999 - count);
            boolean free = true;
            for (int port = first; port < first + count && free; port++) {
                try (ServerSocket socket = new ServerSocket()) {
                    socket.bind(new InetSocketAddress("127.0.0.1", port));
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new AssertionError("no run of " + count + " free ports");
    }

    @Test
    void aPortAnotherContainerHoldsIsNeverHandedOut() throws Exception {
        int first = freeRun(2);
        foreignContainer(first);
        InstanceLifecycle narrow = newManager(runtime, new PortAllocator(new PortRange(first, first + 1)), 1);
        narrow.start().get(60, TimeUnit.SECONDS);

        InstanceLease lease = lease(narrow, service(unique("narrow"), TestImages.HELLO).build());

        assertThat(lease.address().getPort()).isEqualTo(first + 1);
        assertThat(get(lease, "/")).contains(TestImages.HELLO_BODY);
    }

    @Test
    void twentyServicesColdStartedAtOnceGetDistinctFreePorts() throws Exception {
        int first = freeRun(40);
        List<Integer> foreign = List.of(first, first + 3, first + 7, first + 11, first + 15);
        foreign.forEach(this::foreignContainer);
        InstanceLifecycle many = newManager(runtime, new PortAllocator(new PortRange(first, first + 39)), 1);
        many.start().get(60, TimeUnit.SECONDS);

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            acquired.add(acquire(many, service(unique("many" + i), TestImages.HELLO).build()));
        }
        List<InstanceLease> started = awaitAll(acquired);

        assertThat(started).extracting(l -> l.address().getPort()).doesNotHaveDuplicates()
                .doesNotContainAnyElementsOf(foreign);
        for (InstanceLease lease : started) {
            assertThat(get(lease, "/")).contains(TestImages.HELLO_BODY);
        }
    }

    @Test
    void aColdStartDoesNotWaitBehindContainersThatAreSlowToStop() throws Exception {
        InstanceLifecycle slowStops = newManager(runtime, ports, 10);
        slowStops.start().get(60, TimeUnit.SECONDS);
        List<ServiceDefinition> idle = new ArrayList<>();
        List<Future<InstanceLease>> warm = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ServiceDefinition def = service(unique("stubborn" + i), TestImages.HELLO).idleTimeoutSeconds(1).build();
            idle.add(def);
            warm.add(acquire(slowStops, def));
        }
        List<InstanceLease> served = awaitAll(warm);
        List<String> reaped = new ArrayList<>();
        for (int i = 0; i < served.size(); i++) {
            reaped.add(slowStops.instances(idle.get(i).name()).get(0).containerId());
            served.get(i).release();
        }
        // busybox as PID 1 ignores SIGTERM: each of these stops takes the whole 10 s grace, all at once.
        waitUntil(() -> idle.stream().allMatch(def -> slowStops.instances(def.name()).isEmpty()));

        InstanceLease lease = lease(slowStops, service(unique("cold"), TestImages.HELLO).build());

        assertThat(reaped).as("reaped containers still stopping when the cold start was ready")
                .allMatch(id -> "running".equals(stateOf(id)));
        assertThat(get(lease, "/")).contains(TestImages.HELLO_BODY);
    }
}
