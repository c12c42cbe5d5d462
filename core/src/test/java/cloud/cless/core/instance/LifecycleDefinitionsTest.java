package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What changes to a definition, and its deletion, do to the instances running it. */
class LifecycleDefinitionsTest extends LifecycleFixture {

    @Test
    void changedDefinitionDrainsOldInstancesAfterTheirRequests() throws Exception {
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        ServiceDefinition v2 = service("hello").env(Map.of("V", "2")).build();
        InstanceLease old = lease(v1);

        updated(v1, v2);
        assertThat(manager.instances("hello")).singleElement()
                .extracting(InstanceInfo::state).isEqualTo(InstanceState.DRAINING);
        assertThat(old.retired()).as("its pooled connections may close").isDone();

        InstanceLease fresh = lease(v2);
        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        assertThat(runtime.created.get(1).env()).containsEntry("V", "2");
        assertThat(runtime.removes()).isZero();

        old.release();
        waitUntil(() -> runtime.removes() == 1 && !ports.held.contains(old.address().getPort()));
        assertThat(manager.instances("hello")).extracting(InstanceInfo::id).containsExactly(fresh.instanceId());
    }

    @Test
    void aChangeDuringAColdStartPlacesItsWaitersOnTheNewRevisionAndTheOldStartGoesOnceUp() throws Exception {
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        ServiceDefinition v2 = service("hello").env(Map.of("V", "2")).build();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        Future<InstanceLease> waiting = acquire(v1);

        updated(v1, v2);
        Future<InstanceLease> newer = acquire(v2);
        gate.complete(null);

        InstanceLease moved = await(waiting);
        leases.add(moved);
        InstanceLease fresh = await(newer);
        leases.add(fresh);
        assertThat(versionOf(moved)).as("re-chosen by the traffic now").isEqualTo("2");
        assertThat(moved.instanceId()).isEqualTo(fresh.instanceId());
        assertThat(runtime.creates()).as("the old start was under way: it completes, then goes").isEqualTo(2);
        waitUntil(() -> manager.instances("hello").size() == 1 && runtime.containers.size() == 1);
        assertThat(manager.instances("hello").get(0).revision()).isEqualTo("hello-00002");
    }

    @Test
    void sameContainerUpdateKeepsInstances() throws Exception {
        ServiceDefinition v1 = service("hello").build();
        InstanceLease lease = lease(v1);

        ServiceDefinition v2 = updated(v1, v1.toBuilder().idleTimeoutSeconds(60).build());

        assertThat(manager.instances("hello")).singleElement()
                .extracting(InstanceInfo::state).isEqualTo(InstanceState.READY);
        assertThat(lease(v2).instanceId()).isEqualTo(lease.instanceId());
        assertThat(lease.retired()).isNotDone();
    }

    @Test
    void aLargerMaxInstancesServesTheQueueAtOnce() throws Exception {
        ServiceDefinition v1 = service("busy").concurrency(1).maxInstances(1).build();
        lease(v1);
        Future<InstanceLease> queued = acquire(v1);
        assertThat(queued.isDone()).isFalse();

        updated(v1, v1.toBuilder().maxInstances(2).build());

        leases.add(await(queued));
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void deletedServiceDrainsThenIsGone() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease lease = lease(hello);

        assertThat(instancesIn("hello", "ready")).isEqualTo(1);
        deleted(hello);
        assertThat(lease.retired()).isDone();
        assertThat(manager.instances("hello")).as("a deleted service lists nothing").isEmpty();
        assertThat(meters.find("cless.instances").tag("service", "hello").gauges())
                .as("a deleted service's series go").isEmpty();
        assertThat(runtime.containers).as("drains first").hasSize(1);

        lease.release();
        // Gone means the port is back too: it is released after the container's removal completes.
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
    }

    @Test
    void aDeletedServiceFailsItsQueueNotFound() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(1).build();
        lease(busy);
        Future<InstanceLease> queued = acquire(busy);

        deleted(busy);

        assertThat(failureOf(queued).reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND);
    }

    @Test
    void aServiceCreatedAgainAfterItsDeleteGetsAFreshPool() throws Exception {
        ServiceDefinition first = service("again").env(Map.of("V", "1")).build();
        lease(first).release();
        deleted(first);
        ServiceDefinition second = registered(service("again").env(Map.of("V", "2")).build());

        InstanceLease lease = lease(second);

        assertThat(runtime.created.get(runtime.created.size() - 1).env()).containsEntry("V", "2");
        assertThat(manager.instances("again")).singleElement().extracting(InstanceInfo::id)
                .isEqualTo(lease.instanceId());
    }

    @Test
    void aServiceThatBecomesAnUpstreamDrainsItsContainers() throws Exception {
        ServiceDefinition container = service("moving").build();
        InstanceLease lease = lease(container);
        lease.release();

        ServiceDefinition upstream = updated(container, ServiceDefinition.builder("moving").upstream("127.0.0.1:9001")
                .host("moving.localhost").build());

        waitUntil(() -> runtime.containers.isEmpty());
        assertThat(await(manager.acquire(upstream, group.next())).address().getPort()).isEqualTo(9001);
    }
}
