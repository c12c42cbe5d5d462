package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerEvent;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle and the engine: reconcile at start, outages (cold starts fail at once, recovery on its own),
 * containers that die or vanish, removals that fail, and ports the engine holds.
 */
class EngineWatchTest extends LifecycleFixture {

    private double unremoved() {
        return meters.get("cless.containers.unremoved").gauge().value();
    }

    @Test
    void reconcileAdoptsRunningContainersOfKnownServicesAndRemovesTheRest() throws Exception {
        ServiceDefinition hello = service("hello").build();
        ServiceDefinition warm = service("warm").minInstances(1).build();
        services.existing(hello);
        services.existing(warm);
        int adoptedPort = ReadinessProbeTest.unusedAddress().getPort();
        FakeRuntime.Container adopted = runtime.existing("hello", "aaaa1111", adoptedPort, true);
        FakeRuntime.Container unknown = runtime.existing("gone", "bbbb2222",
                ReadinessProbeTest.unusedAddress().getPort(), true);
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
    void reconcileRemovesCreatedContainersAndAdoptsPausedOnes() throws Exception {
        ServiceDefinition hello = service("hello").idleAction(IdleAction.PAUSE).build();
        services.existing(hello);
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

    @Test
    void engineDownAtStartFailsColdStartsAtOnceThenRecoversInTheBackground() throws Exception {
        services.existing(service("warm").minInstances(1).build());
        ServiceDefinition hello = service("hello").build();
        services.existing(hello);
        runtime.listFailure = engineUnreachable();

        manager.start().get(30, TimeUnit.SECONDS);
        Future<InstanceLease> refused = manager.acquire(hello, group.next());

        assertThat(refused.isDone()).as("failed without waiting on the engine").isTrue();
        AcquireFailure failure = failureOf(refused);
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "unreachable");
        assertThat(failure.logged()).as("the outage is logged once, not per request").isTrue();
        assertThat(meters.get("cless.engine.up").gauge().value()).isZero();
        tick();
        tick();
        assertThat(runtime.calls).as("no top-up while the engine is down").noneMatch(c -> c.startsWith("create"));
        assertThat(ports.held).isEmpty();

        runtime.listFailure = null; // the watch looks again after its backoff, on its own
        waitUntil(() -> manager.instances("warm").stream().anyMatch(i -> i.state() == InstanceState.READY));
        assertThat(meters.get("cless.engine.up").gauge().value()).isEqualTo(1);
        assertThat(runtime.lists()).isGreaterThan(1);
        assertThat(runtime.calls).contains("watch " + INSTALLATION);
        assertThat(lease(hello).instanceId()).isNotBlank();
    }

    @Test
    void engineLostWhileRunningFailsLaterColdStartsAtOnceUntilItIsBack() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        runtime.listFailure = engineUnreachable();
        runtime.createFailure = engineUnreachable();

        assertThat(failureOf(acquire(service("one").build())).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        long creates = runtime.calls.stream().filter(c -> c.startsWith("create")).count();
        Future<InstanceLease> second = acquire(service("two").build());
        assertThat(second.isDone()).isTrue();
        assertThat(failureOf(second).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize((int) creates);

        runtime.createFailure = null;
        runtime.listFailure = null;
        listEngine();
        leases.add(lease(service("two").build()));
    }

    @Test
    void minInstancesTopUpBacksOffAfterAFailedStart() throws Exception {
        services.existing(service("warm").minInstances(1).build());
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image 'cless-test/warm:latest' is not present locally and could not be pulled", null);

        manager.start().get(30, TimeUnit.SECONDS);
        // One for the spare, one for the start; neither is retried in a loop.
        waitUntil(() -> runtime.calls.stream().filter(c -> c.startsWith("create")).count() == 2);
        waitUntil(() -> manager.instances("warm").isEmpty());
        tick();
        tick();
        assertThat(runtime.calls).as("ticks within the backoff (the clock stands still)")
                .filteredOn(c -> c.startsWith("create")).hasSize(2);

        runtime.createFailure = null;
        clock.advanceMillis(StartBackoff.FIRST_MILLIS);
        tick();
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
        assertThat(lease.retired()).isDone();
        waitUntil(() -> !runtime.containers.containsKey(containerId) && !ports.held.contains(port));
        InstanceLease next = lease(hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(runtime.starts()).isEqualTo(2);
    }

    @Test
    void containerThatExitsWhileStartingFailsItsStartAtOnce() throws Exception {
        runtime.app = FakeRuntime.App.NEVER_LISTENS;
        manager.start().get(30, TimeUnit.SECONDS);
        Future<InstanceLease> waiting = acquire(service("crash").startupTimeoutSeconds(30).build());
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

    @Test
    void aFailedRemovalKeepsThePortUntilTheContainerIsSeenGone() throws Exception {
        ServiceDefinition idle = registered(service("idle").idleTimeoutSeconds(1).build());
        manager.start().get(30, TimeUnit.SECONDS);
        InstanceLease lease = lease(idle);
        lease.release();
        int port = lease.address().getPort();
        String containerId = manager.instances("idle").get(0).containerId();
        runtime.removeFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED,
                "removal of container failed: device or resource busy", null);
        clock.advanceMillis(5_000);

        tick();
        waitUntil(() -> unremoved() == 1);

        assertThat(ports.held).as("the port of a container that may still exist").contains(port);
        assertThat(runtime.containers).containsKey(containerId);
        listEngine(); // still there, still failing: kept
        waitUntil(() -> runtime.calls.stream().filter(c -> c.equals("remove-failed " + containerId)).count() == 2);
        assertThat(ports.held).contains(port);

        runtime.removeFailure = null;
        runtime.containers.remove(containerId); // gone by other means
        listEngine();
        waitUntil(() -> unremoved() == 0 && !ports.held.contains(port));
    }

    @Test
    void aContainerReapedWhileTheEngineIsDownIsRemovedOnceItIsBack() throws Exception {
        ServiceDefinition idle = registered(service("idle").idleTimeoutSeconds(1).build());
        manager.start().get(30, TimeUnit.SECONDS);
        lease(idle).release();
        String containerId = manager.instances("idle").get(0).containerId();
        runtime.removeFailure = engineUnreachable();
        runtime.listFailure = engineUnreachable();
        clock.advanceMillis(5_000);

        tick();
        waitUntil(() -> unremoved() == 1);
        assertThat(runtime.containers).containsKey(containerId);

        runtime.removeFailure = null;
        runtime.listFailure = null;
        listEngine();
        waitUntil(() -> !runtime.containers.containsKey(containerId) && unremoved() == 0);
    }

    @Test
    void portsTheEngineHoldsReachTheAllocator() throws Exception {
        runtime.foreignPorts.add(31_111);

        manager.start().get(30, TimeUnit.SECONDS);

        assertThat(ports.engineHeld).contains(31_111);
    }

    @Test
    void aContainerNobodyTracksIsRemovedWhenTwoListingsInARowFindIt() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        // As a create the engine answered too late leaves one: labelled as this installation's, tracked by no one.
        FakeRuntime.Container stray = runtime.existing("hello", "eeee5555", 31996, "created");

        listEngine();
        assertThat(runtime.containers).as("one listing is not enough: it may be a create in flight")
                .containsKey(stray.id);
        listEngine();
        waitUntil(() -> !runtime.containers.containsKey(stray.id));
    }
}
