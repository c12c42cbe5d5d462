package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The container each service keeps created ahead of need, so that a cold start is only a start. */
class SparesTest extends LifecycleFixture {

    @Test
    void aSpareIsCreatedAtRegistrationStartedByTheNextColdStartThenReplaced() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition hello = registered(service("hello").env(Map.of("GREETING", "hi")).build());
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
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        FakeRuntime.Container first = awaitSpare("hello");

        ServiceDefinition sameContainer = updated(v1, v1.toBuilder().idleTimeoutSeconds(60).build());
        assertThat(awaitSpare("hello").id).isEqualTo(first.id);

        ServiceDefinition v2 = updated(sameContainer, service("hello").env(Map.of("V", "2")).build());
        waitUntil(() -> !runtime.containers.containsKey(first.id) && !ports.held.contains(first.spec.hostPort()));
        FakeRuntime.Container second = awaitSpare("hello");
        assertThat(second.spec.env()).containsEntry("V", "2");

        deleted(v2);
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        tick();
        tick();
        assertThat(runtime.calls).as("no spare for a deleted service").filteredOn(c -> c.startsWith("create"))
                .hasSize(2);
    }

    @Test
    void aSpareThatCannotBeCreatedIsNotRetriedAndColdStartsStillNameTheImage() throws Exception {
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image 'cless-test/nope:latest' is not present locally and could not be pulled", null);
        manager.start().get(30, TimeUnit.SECONDS);
        ServiceDefinition nope = registered(service("nope").build());
        waitUntil(() -> runtime.calls.stream().anyMatch(c -> c.startsWith("create")) && ports.held.isEmpty());
        tick();
        tick();
        tick();
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(1);

        AcquireFailure failure = failureOf(acquire(nope));
        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("cless-test/nope:latest", "could not be pulled");
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(2);

        runtime.createFailure = null;
        lease(nope);
        awaitSpare("nope"); // a start worked: spares are made again
    }

    @Test
    void aColdStartWhileTheSpareIsBeingCreatedWaitsForItInsteadOfCreatingAnother() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        ServiceDefinition hello = registered(service("hello").build());
        waitUntil(() -> runtime.calls.stream().anyMatch(c -> c.startsWith("create")));

        Future<InstanceLease> waiting = acquire(hello);
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
    void aSpareRemovedBehindClessBackIsReplacedAfterTheNextListing() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        registered(service("hello").build());
        FakeRuntime.Container spare = awaitSpare("hello");
        clock.advanceMillis(1);
        runtime.containers.remove(spare.id);

        listEngine();
        waitUntil(() -> !ports.held.contains(spare.spec.hostPort()));
        tick();

        assertThat(awaitSpare("hello").id).isNotEqualTo(spare.id);
    }
}
