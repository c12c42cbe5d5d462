package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Leases: cold starts shared by every waiting request, scale-out, the queue, failures, and who may acquire. */
class InstanceLifecycleTest extends LifecycleFixture {

    @Test
    void fiftyConcurrentFirstAcquiresShareOneColdStart() throws Exception {
        ServiceDefinition hello = registered(service("hello").env(Map.of("GREETING", "hi")).memoryMb(64).cpus(0.5)
                .build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acquired.add(acquire(hello));
        }
        assertThat(acquired).noneMatch(Future::isDone);
        gate.complete(null);

        for (Future<InstanceLease> future : acquired) {
            leases.add(await(future));
        }
        assertThat(runtime.creates()).isEqualTo(1);
        assertThat(leases).extracting(InstanceLease::instanceId).containsOnly(leases.get(0).instanceId());
        assertThat(leases).allSatisfy(lease -> assertThat(lease.coldStartWaitMillis()).isNotNegative());
        assertThat(count("cless.cold.starts", "hello")).isEqualTo(1);
        assertThat(meters.get("cless.cold.start.duration").tag("service", "hello").timer().count()).isEqualTo(1);
        assertThat(instancesIn("hello", "ready")).isEqualTo(1);
        assertThat(instancesIn("hello", "starting")).isZero();
        assertThat(manager.instances("hello")).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(InstanceState.READY);
            assertThat(info.inFlightRequests()).isEqualTo(50);
            assertThat(info.coldStartMillis()).isGreaterThanOrEqualTo(0);
            assertThat(info.readyAt()).isNotNull();
        });

        ContainerSpec spec = runtime.created.get(0);
        String instanceId = leases.get(0).instanceId();
        int hostPort = leases.get(0).address().getPort();
        assertThat(spec.name()).isEqualTo("cless-hello-" + instanceId);
        assertThat(spec.image()).isEqualTo("cless-test/hello:latest");
        assertThat(spec.containerPort()).isEqualTo(8080);
        assertThat(spec.hostPort()).isEqualTo(hostPort);
        assertThat(spec.env()).containsEntry("GREETING", "hi").containsEntry("PORT", "8080");
        assertThat(spec.labels()).containsEntry(ContainerLabels.MANAGED, "true")
                .containsEntry(ContainerLabels.SERVICE, "hello")
                .containsEntry(ContainerLabels.INSTANCE, instanceId)
                .containsEntry(ContainerLabels.HOST_PORT, Integer.toString(hostPort))
                .containsEntry(ContainerLabels.INSTALLATION, INSTALLATION);
        assertThat(spec.memoryMb()).isEqualTo(64);
        assertThat(spec.cpus()).isEqualTo(0.5);
        assertThat(leases.get(0).address().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void warmAcquireReusesTheInstanceWithoutAColdStartWaitAndReleaseIsCounted() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease first = lease(hello);
        InstanceLease second = lease(hello);

        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        assertThat(second.coldStartWaitMillis()).isEqualTo(-1);
        assertThat(runtime.creates()).isEqualTo(1);
        assertThat(manager.instances("hello").get(0).inFlightRequests()).isEqualTo(2);

        first.release();
        first.release();
        assertThat(manager.instances("hello").get(0).inFlightRequests()).isEqualTo(1);
        second.release();
        assertThat(manager.instances("hello").get(0).inFlightRequests()).isZero();

        InstanceLease third = lease(hello);
        assertThat(third.instanceId()).isEqualTo(first.instanceId());
        assertThat(runtime.creates()).isEqualTo(1);
        assertThat(third.retired()).isNotDone();
    }

    @Test
    void touchRecordsActivity() throws Exception {
        InstanceLease lease = lease(service("hello").build());
        clock.advanceMillis(60_000);
        lease.touch();

        assertThat(manager.instances("hello").get(0).lastActivity().toEpochMilli()).isEqualTo(clock.millis());
    }

    @Test
    void createFailureFailsEveryWaiterReleasesThePortAndTheNextAcquireTriesAgain() throws Exception {
        ServiceDefinition nope = registered(service("nope").build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image cless-test/nope:latest not found and could not be pulled", null);

        List<Future<InstanceLease>> acquired = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            acquired.add(acquire(nope));
        }
        gate.complete(null);
        for (Future<InstanceLease> future : acquired) {
            AcquireFailure failure = failureOf(future);
            assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
            assertThat(failure.getMessage()).contains("nope", "cless-test/nope:latest", "could not be pulled");
            assertThat(failure.logged()).as("logged once by the cold start").isTrue();
        }
        assertThat(runtime.calls).filteredOn(c -> c.startsWith("create")).hasSize(1);
        waitUntil(() -> ports.held.isEmpty());
        assertThat(manager.instances("nope")).isEmpty();
        assertThat(count("cless.cold.start.failures", "nope", "reason", "start_failed")).isEqualTo(1);
        assertThat(meters.find("cless.cold.starts").tag("service", "nope").counter().count()).isZero();

        runtime.createFailure = null;
        InstanceLease lease = lease(nope);
        assertThat(lease.instanceId()).isNotBlank();
        assertThat(runtime.creates()).isEqualTo(1);
    }

    @Test
    void startFailureRemovesTheCreatedContainer() throws Exception {
        runtime.startFailure = new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, "no such file", null);

        AcquireFailure failure = failureOf(acquire(service("hello").build()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.START_FAILED);
        assertThat(failure.getMessage()).contains("hello", "cless-test/hello:latest", "no such file");
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(runtime.removes()).isEqualTo(1);
    }

    @Test
    void aStartWhosePortIsTakenOnTheEngineIsTriedOnceMoreOnAnotherPort() throws Exception {
        runtime.startFailure = new RuntimeFailure(RuntimeFailure.Kind.PORT_TAKEN,
                "start of container failed: Bind for 127.0.0.1:30000 failed: port is already allocated", null);
        runtime.failStartOnce = true;

        InstanceLease lease = lease(service("hello").build());

        assertThat(runtime.created).hasSize(2);
        int taken = runtime.created.get(0).hostPort();
        assertThat(lease.address().getPort()).isEqualTo(runtime.created.get(1).hostPort()).isNotEqualTo(taken);
        assertThat(ports.conflicted).containsExactly(taken);
        waitUntil(() -> runtime.containers.size() == 1 && !ports.held.contains(taken));
    }

    @Test
    void containerNeverReadyTimesOutAndIsRemoved() throws Exception {
        runtime.app = FakeRuntime.App.NEVER_LISTENS;
        ServiceDefinition slow = service("slow").startupTimeoutSeconds(1).build();

        AcquireFailure failure = failureOf(acquire(slow));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.STARTUP_TIMEOUT);
        assertThat(failure.getMessage()).startsWith("service slow: container cless-slow-")
                .endsWith("not ready within 1 s");
        assertThat(count("cless.cold.start.failures", "slow", "reason", "startup_timeout")).isEqualTo(1);
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(manager.instances("slow")).isEmpty();
    }

    @Test
    void aCreateThatNeverAnswersEndsAtTheStartupTimeoutAndItsContainerGoesOnceItSettles() throws Exception {
        CompletableFuture<Void> hung = new CompletableFuture<>();
        runtime.createGate = hung;
        ServiceDefinition slow = service("slow").startupTimeoutSeconds(1).build();

        AcquireFailure failure = failureOf(acquire(slow));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.STARTUP_TIMEOUT);
        assertThat(ports.held).as("the port stays while the create may still land").hasSize(1);
        hung.complete(null); // the engine answers at last: the late container is removed, then the port goes
        waitUntil(() -> runtime.removes() == 1 && runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(runtime.starts()).isZero();
    }

    @Test
    void engineUnavailableIsUnavailable() throws Exception {
        runtime.createFailure = new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "cannot connect to /var/run/docker.sock", null);

        AcquireFailure failure = failureOf(acquire(service("hello").build()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "docker.sock");
        waitUntil(() -> ports.held.isEmpty());
    }

    @Test
    void exhaustedPortsAreUnavailable() throws Exception {
        ports.exhausted = true;

        AcquireFailure failure = failureOf(acquire(service("hello").build()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("hello", "no free host port");
        assertThat(runtime.calls).isEmpty();
    }

    @Test
    void scalesOutToMaxInstancesThenQueuesThenFails() throws Exception {
        ServiceDefinition busy = registered(service("busy").concurrency(1).maxInstances(3).build());

        List<Future<InstanceLease>> first = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            first.add(acquire(busy));
        }
        List<InstanceLease> held = new ArrayList<>();
        for (Future<InstanceLease> future : first) {
            held.add(await(future));
        }
        leases.addAll(held);
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(held).extracting(InstanceLease::instanceId).doesNotHaveDuplicates();

        Future<InstanceLease> queued = acquire(busy);
        assertThat(queued.isDone()).as("4th waits at max_instances").isFalse();
        held.get(1).release();
        InstanceLease fourth = await(queued);
        leases.add(fourth);
        assertThat(fourth.instanceId()).isEqualTo(held.get(1).instanceId());
        assertThat(fourth.coldStartWaitMillis()).as("it waited for room, not for a start").isEqualTo(-1);
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(count("cless.queue.waits", "busy")).isEqualTo(1);
        assertThat(meters.get("cless.queue.wait.duration").tag("service", "busy").timer().count()).isEqualTo(1);
        assertThat(instancesIn("busy", "ready")).isEqualTo(3);

        Future<InstanceLease> fifth = acquire(busy);
        Future<InstanceLease> sixth = acquire(busy);
        AcquireFailure full = failureOf(acquire(busy));
        assertThat(full.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(full.getMessage()).contains("busy", "queue is full");
        assertThat(full.logged()).as("each such request is its own event, logged where it is answered").isFalse();

        AcquireFailure timedOut = failureOf(fifth);
        assertThat(timedOut.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(timedOut.getMessage()).contains("busy", "no instance free within 300 ms");
        assertThat(failureOf(sixth).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(runtime.creates()).isEqualTo(3);
        assertThat(count("cless.queue.waits", "busy")).isEqualTo(3);
        assertThat(count("cless.queue.rejections", "busy", "reason", "full")).isEqualTo(1);
        assertThat(count("cless.queue.rejections", "busy", "reason", "timeout")).isEqualTo(2);
        assertThat(meters.get("cless.queue.wait.duration").tag("service", "busy").timer().count())
                .as("only waits that got an instance are timed").isEqualTo(1);
    }

    @Test
    void newRequestsGoToTheLeastLoadedInstance() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(2).maxInstances(2).build();
        InstanceLease a1 = lease(busy);
        InstanceLease a2 = lease(busy);
        InstanceLease b1 = lease(busy);
        assertThat(a2.instanceId()).isEqualTo(a1.instanceId());
        assertThat(b1.instanceId()).isNotEqualTo(a1.instanceId());

        a1.release();
        a2.release();
        InstanceLease next = lease(busy);
        assertThat(next.instanceId()).isEqualTo(a1.instanceId());
    }

    @Test
    void refusedConnectionReplacesTheInstanceAndRetiresItsLeases() throws Exception {
        ServiceDefinition hello = service("hello").build();
        InstanceLease lease = lease(hello);

        lease.connectFailed(new java.net.ConnectException("Connection refused"));

        assertThat(lease.retired()).isDone();
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        InstanceLease next = lease(hello);
        assertThat(next.instanceId()).isNotEqualTo(lease.instanceId());
        assertThat(runtime.creates()).isEqualTo(2);
    }

    // ---- clients that leave ----

    /** The client of {@code acquired} leaves: its future is cancelled, and the pool has heard of it. */
    private void leave(Future<InstanceLease> acquired, String service) throws InterruptedException {
        double before = count("cless.requests.abandoned", service);
        assertThat(acquired.cancel(false)).isTrue();
        waitUntil(() -> count("cless.requests.abandoned", service) == before + 1);
    }

    @Test
    void aWaiterThatGaveUpDoesNotBlockTheQueue() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(1).build();
        InstanceLease held = lease(busy);
        Future<InstanceLease> gaveUp = acquire(busy);
        assertThat(gaveUp.cancel(false)).isTrue();

        held.release();
        InstanceLease next = lease(busy);
        assertThat(next.instanceId()).isEqualTo(held.instanceId());
        assertThat(manager.instances("busy").get(0).inFlightRequests()).isEqualTo(1);
    }

    @Test
    void aWaiterThatLeavesFromTheMiddleOfTheQueueFreesItsPlaceAtOnce() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(1).build();
        InstanceLease held = lease(busy);
        Future<InstanceLease> first = acquire(busy);
        leave(acquire(busy), "busy");

        Future<InstanceLease> third = acquire(busy);

        assertThat(third.isDone()).as("queued behind the first, not turned away: %s", third.cause()).isFalse();
        held.release();
        InstanceLease firstLease = await(first);
        firstLease.release();
        leases.add(await(third));
        assertThat(runtime.creates()).isEqualTo(1);
    }

    @Test
    void aColdStartNobodyWaitsForAnyMoreCompletesAndStartsNothingElse() throws Exception {
        ServiceDefinition hello = registered(service("hello").concurrency(1).maxInstances(3).build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        Future<InstanceLease> leaves = acquire(hello);
        waitUntil(() -> runtime.calls.stream().anyMatch(c -> c.startsWith("create")));

        leave(leaves, "hello");
        gate.complete(null);

        waitUntil(() -> manager.instances("hello").stream().anyMatch(i -> i.state() == InstanceState.READY));
        assertThat(manager.instances("hello")).singleElement().satisfies(i -> assertThat(i.inFlightRequests()).isZero());
        InstanceLease next = lease(hello);
        assertThat(next.coldStartWaitMillis()).as("served by the instance already up").isEqualTo(-1);
        assertThat(runtime.creates()).isEqualTo(1);
    }

    @Test
    void aQueuedRequestWhoseClientLeftStartsNothingWhenRoomFrees() throws Exception {
        ServiceDefinition busy = service("busy").concurrency(1).maxInstances(1).build();
        InstanceLease held = lease(busy);
        leave(acquire(busy), "busy");

        held.connectFailed(new java.net.ConnectException("Connection refused")); // room frees: the instance goes

        waitUntil(() -> runtime.containers.isEmpty());
        assertThat(manager.instances("busy")).isEmpty();
        assertThat(runtime.creates()).isEqualTo(1);
    }

    // ---- which definition an acquire gets ----

    @Test
    void anAcquireForADeletedServiceFailsNotFoundAndRevivesNothing() throws Exception {
        ServiceDefinition gone = registered(service("gone").build());
        deleted(gone);

        AcquireFailure failure = failureOf(manager.acquire(gone, group.next()));

        assertThat(failure.reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND);
        assertThat(failure.getMessage()).contains("gone", "deleted");
        assertThat(runtime.calls).isEmpty();
        assertThat(manager.instances("gone")).isEmpty();
    }

    @Test
    void anAcquireWithASupersededDefinitionStartsTheCurrentOne() throws Exception {
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        updated(v1, service("hello").env(Map.of("V", "2")).build());

        leases.add(await(manager.acquire(v1, group.next())));

        assertThat(runtime.created).singleElement().satisfies(spec -> assertThat(spec.env()).containsEntry("V", "2"));
    }

    @Test
    void anAcquireRoutedBeforeTheLifecycleHeardOfTheChangeTakesTheNewRevision() throws Exception {
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        InstanceLease old = lease(v1);
        services.hold();
        updated(v1, service("hello").env(Map.of("V", "2")).build()); // committed; the lifecycle has not heard yet

        InstanceLease fresh = lease(v1);

        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        assertThat(runtime.created.get(1).env()).containsEntry("V", "2");
        assertThat(manager.instances("hello")).extracting(InstanceInfo::revision)
                .containsExactlyInAnyOrder("hello-00001", "hello-00002");
        services.release(); // arrives late: the old revision drains
        assertThat(old.retired()).as("the old revision takes no new requests").isDone();
        assertThat(manager.instances("hello")).filteredOn(i -> i.revision().equals("hello-00001"))
                .singleElement().extracting(InstanceInfo::state).isEqualTo(InstanceState.DRAINING);
    }

    // ---- upstreams ----

    @Test
    void upstreamIsAlwaysReadyWithoutAContainerAndRetiresWhenItChanges() throws Exception {
        ServiceDefinition upstream = registered(ServiceDefinition.builder("bench").upstream("127.0.0.1:9001")
                .host("bench.localhost").build());

        Future<InstanceLease> acquired = manager.acquire(upstream, group.next());

        assertThat(acquired.isSuccess()).isTrue();
        InstanceLease lease = acquired.getNow();
        assertThat(lease.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 9001));
        lease.touch();
        lease.release();
        assertThat(lease.retired()).isNotDone();
        updated(upstream, upstream.toBuilder().upstream("127.0.0.1:9002").build());
        assertThat(lease.retired()).isDone();
        assertThat(await(manager.acquire(upstream, group.next())).address().getPort()).isEqualTo(9002);
        assertThat(runtime.calls).isEmpty();
        assertThat(manager.instances("bench")).isEmpty();
    }

    @Test
    void anUpstreamNamedLocalhostIsResolved() throws Exception {
        ServiceDefinition upstream = registered(ServiceDefinition.builder("local").upstream("localhost:9001")
                .host("local.localhost").build());

        InstanceLease lease = await(manager.acquire(upstream, group.next()));

        assertThat(lease.address().isUnresolved()).isFalse();
        assertThat(lease.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(lease.address().getPort()).isEqualTo(9001);
    }

    // ---- shutdown ----

    @Test
    void shutdownWaitsForRequestsThenRemovesEverything() throws Exception {
        ServiceDefinition one = service("one").build();
        ServiceDefinition two = service("two").build();
        InstanceLease open = lease(one);
        lease(two).release();

        CompletableFuture<Void> stopped = manager.shutdown(Duration.ofSeconds(20));
        AcquireFailure refused = failureOf(manager.acquire(two, group.next()));
        assertThat(refused.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(refused.getMessage()).contains("shutting down");
        assertThat(open.retired()).isDone();
        waitUntil(() -> runtime.containers.size() == 1); // the idle one goes at once, the busy one drains
        assertThat(stopped).isNotDone();

        open.release();
        stopped.get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }

    @Test
    void shutdownDuringAColdStartRemovesTheStartingContainer() throws Exception {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;
        Future<InstanceLease> waiting = acquire(service("hello").build());

        CompletableFuture<Void> stopped = manager.shutdown(Duration.ofSeconds(5));
        assertThat(failureOf(waiting).reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        gate.complete(null);

        stopped.get(30, TimeUnit.SECONDS);
        assertThat(runtime.containers).isEmpty();
        assertThat(ports.held).isEmpty();
    }
}
