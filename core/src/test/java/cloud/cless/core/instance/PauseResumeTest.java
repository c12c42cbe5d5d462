package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code idle_action: pause}: idle instances are frozen, and the next request thaws the same container. */
class PauseResumeTest extends LifecycleFixture {

    @BeforeEach
    void start() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
    }

    /** One request served (its lease taken and given back): the instance is idle from now on. */
    private InstanceLease servedOnce(ServiceDefinition def) throws Exception {
        InstanceLease lease = lease(def);
        lease.release();
        return lease;
    }

    private ServiceDefinition napper() {
        return registered(service("napper").idleAction(IdleAction.PAUSE).idleTimeoutSeconds(1).build());
    }

    private InstanceInfo awaitPaused(String service) throws InterruptedException {
        waitUntil(() -> manager.instances(service).stream().anyMatch(i -> i.state() == InstanceState.PAUSED));
        InstanceInfo info = manager.instances(service).get(0);
        waitUntil(() -> "paused".equals(runtime.containers.get(info.containerId()).state));
        return info;
    }

    /** Serves one request on {@code def}, lets the instance idle past its timeout, and waits until it is paused. */
    private InstanceInfo pausedAfterOneRequest(ServiceDefinition def) throws Exception {
        servedOnce(def);
        clock.advanceMillis(5_000);
        tick();
        return awaitPaused(def.name());
    }

    @Test
    void anIdleInstanceIsPausedAndTheNextAcquireUnpausesItWithoutACreateOrStart() throws Exception {
        ServiceDefinition napper = napper();
        InstanceLease first = servedOnce(napper);
        awaitSpare("napper");
        long creates = runtime.creates();
        long starts = runtime.starts();

        clock.advanceMillis(5_000);
        tick();
        InstanceInfo paused = awaitPaused("napper");
        assertThat(paused.id()).isEqualTo(first.instanceId());
        assertThat(first.retired()).as("a paused instance takes no leases: its connections may close").isDone();
        assertThat(ports.held).contains(paused.hostPort());
        assertThat(instancesIn("napper", "paused")).isEqualTo(1);
        clock.advanceMillis(600_000);
        tick();
        tick();
        assertThat(manager.instances("napper")).as("a paused instance is kept, not removed")
                .extracting(InstanceInfo::state).containsExactly(InstanceState.PAUSED);

        InstanceLease again = lease(napper);

        assertThat(again.instanceId()).isEqualTo(first.instanceId());
        assertThat(again.address()).isEqualTo(first.address());
        assertThat(again.coldStartWaitMillis()).as("it waited for the resume").isNotNegative();
        assertThat(again.retired()).as("a new epoch").isNotDone();
        assertThat(runtime.calls).contains("unpause " + paused.containerId());
        assertThat(runtime.creates()).isEqualTo(creates);
        assertThat(runtime.starts()).isEqualTo(starts);
        assertThat(manager.instances("napper")).extracting(InstanceInfo::state).containsExactly(InstanceState.READY);
        assertThat(runtime.containers.get(paused.containerId()).state).isEqualTo("running");
    }

    @Test
    void anAcquireWhileThePauseIsUnderWayUnpausesOnlyOnceThePauseIsDone() throws Exception {
        ServiceDefinition napper = napper();
        InstanceLease first = servedOnce(napper);
        String containerId = manager.instances("napper").get(0).containerId();
        CountDownLatch pauseCall = new CountDownLatch(1);
        runtime.pauseCall = pauseCall;
        clock.advanceMillis(5_000);
        Thread ticker = new Thread(this::tick, "ticker"); // its pause call is held until the latch opens
        ticker.start();
        waitUntil(() -> runtime.calls.contains("pause " + containerId));
        assertThat(manager.instances("napper")).extracting(InstanceInfo::state)
                .containsExactly(InstanceState.PAUSING);

        Future<InstanceLease> resumed = manager.acquire(napper, group.next());
        boolean unpausedEarly = runtime.calls.contains("unpause " + containerId);
        pauseCall.countDown();
        InstanceLease again = await(resumed);
        leases.add(again);
        ticker.join();

        assertThat(unpausedEarly).as("unpause sent while the pause was under way").isFalse();
        assertThat(runtime.calls.indexOf("paused " + containerId))
                .isLessThan(runtime.calls.indexOf("unpause " + containerId));
        assertThat(again.instanceId()).isEqualTo(first.instanceId());
    }

    @Test
    void aPauseThatFailsLeavesTheInstanceServing() throws Exception {
        ServiceDefinition napper = napper();
        InstanceLease first = servedOnce(napper);
        runtime.pauseFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "cannot pause", null);

        clock.advanceMillis(5_000);
        tick();
        waitUntil(() -> manager.instances("napper").stream().allMatch(i -> i.state() == InstanceState.READY)
                && runtime.calls.stream().anyMatch(c -> c.startsWith("pause ")));

        InstanceLease again = lease(napper);
        assertThat(again.instanceId()).isEqualTo(first.instanceId());
        assertThat(runtime.calls).noneMatch(c -> c.startsWith("unpause "));
    }

    @Test
    void aPausedInstanceCountsTowardMaxInstances() throws Exception {
        ServiceDefinition napper = registered(service("napper").idleAction(IdleAction.PAUSE).idleTimeoutSeconds(1)
                .concurrency(1).maxInstances(1).build());
        pausedAfterOneRequest(napper);

        InstanceLease held = lease(napper);
        Future<InstanceLease> second = acquire(napper);
        assertThat(failureOf(second).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.starts()).isEqualTo(1);
        assertThat(held.instanceId()).isNotBlank();
    }

    @Test
    void anUnpauseThatFailsRemovesTheInstanceAndColdStartsAnother() throws Exception {
        ServiceDefinition napper = napper();
        InstanceInfo paused = pausedAfterOneRequest(napper);
        runtime.unpauseFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "cannot unpause", null);

        InstanceLease again = lease(napper);

        assertThat(again.instanceId()).isNotEqualTo(paused.id());
        waitUntil(() -> !runtime.containers.containsKey(paused.containerId())
                && !ports.held.contains(paused.hostPort()));
        assertThat(manager.instances("napper")).extracting(InstanceInfo::id).containsExactly(again.instanceId());
    }

    @Test
    void pausedInstancesAreRemovedWhenTheContainerChangesAndSparesAndPausedOnesAtShutdown() throws Exception {
        ServiceDefinition v1 = registered(service("napper").idleAction(IdleAction.PAUSE).idleTimeoutSeconds(1)
                .env(Map.of("V", "1")).build());
        ServiceDefinition other = registered(service("other").idleAction(IdleAction.PAUSE).idleTimeoutSeconds(1)
                .build());
        servedOnce(other);
        InstanceInfo paused = pausedAfterOneRequest(v1);
        awaitPaused("other");

        updated(v1, v1.toBuilder().env(Map.of("V", "2")).build());
        assertThat(manager.instances("napper")).isEmpty();
        waitUntil(() -> !runtime.containers.containsKey(paused.containerId()));
        assertThat(runtime.calls).doesNotContain("stop " + paused.containerId());
        awaitSpare("other");

        manager.shutdown(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }
}
