package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.runtime.swarm.SwarmTasks.rejected;
import static cloud.cless.core.runtime.swarm.SwarmTasks.running;
import static cloud.cless.core.runtime.swarm.SwarmTasks.shuttingDown;
import static cloud.cless.core.testing.Futures.await;
import static cloud.cless.core.testing.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.testing.Waits;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SwarmRevisions} over a swarm kept in memory: what it writes, and what it reports of the tasks. */
class SwarmRevisionsTest {
    private static final String INSTALLATION = "inst1";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final TaskPolling POLLING = new TaskPolling(Duration.ofMillis(5), Duration.ofMillis(40),
            Duration.ofMillis(40));

    private final FakeSwarm swarm = new FakeSwarm();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final RecordingRevisionsListener listener = new RecordingRevisionsListener(WAIT);
    private final SwarmRevisions revisions = new SwarmRevisions(swarm, timer, INSTALLATION, POLLING, listener);

    @AfterEach
    void close() {
        revisions.close();
        timer.shutdownNow();
    }

    private static SwarmServiceSpec spec(String revision) {
        return spec(revision, INSTALLATION);
    }

    private static SwarmServiceSpec spec(String revision, String installation) {
        return new SwarmServiceSpec("hello", revision, installation, "cless-test/hello:latest", 8080, Map.of(), null,
                null, 0, Duration.ofSeconds(10), List.of());
    }

    @Test
    void preparingMakesTheServiceAtZeroReplicasOnceForConcurrentCallers() {
        List<CompletableFuture<String>> prepared = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            prepared.add(revisions.prepare(spec("hello-00001")));
        }

        String id = await(prepared.get(0));
        prepared.forEach(p -> assertThat(await(p)).isEqualTo(id));
        assertThat(swarm.serviceId("cless-hello-00001")).isEqualTo(id);
        assertThat(swarm.replicas("cless-hello-00001")).isZero();
        assertThat(await(revisions.prepare(spec("hello-00001")))).isEqualTo(id);
    }

    @Test
    void aServiceOfAnotherInstallationUnderTheNameIsNotTakenOver() {
        swarm.add(spec("hello-00001", "someone-else"));

        RuntimeFailure failure = failure(revisions.prepare(spec("hello-00001")));

        assertThat(failure.getMessage()).contains("swarm service cless-hello-00001 exists but is not revision"
                + " hello-00001 of installation inst1 (its labels: installation someone-else");
    }

    @Test
    void aStartAsksForOneReplicaAndTheTaskThatRunsIsReportedAtItsAddress() {
        revisions.start();
        ReplicaUpdate update = await(revisions.startOne(spec("hello-00001"), 1));
        assertThat(update.written()).isTrue();
        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(1);
        int listingsBefore = swarm.taskListings();

        swarm.setTasks("cless-hello-00001", running("t1", swarm.serviceId("cless-hello-00001"), 30001));

        TaskReport report = listener.await(TaskReport.Kind.RUNNING, "t1");
        assertThat(report.address()).isEqualTo(new InetSocketAddress("10.214.9.11", 30001));
        assertThat(report.revision()).isEqualTo("hello-00001");
        until(() -> swarm.taskListings() > listingsBefore + 2, "polled by name while the start is pending");
    }

    @Test
    void onceNothingIsAwaitedTheTasksAreListedForTheWholeInstallation() {
        revisions.start();
        await(revisions.startOne(spec("hello-00001"), 1));
        swarm.setTasks("cless-hello-00001", running("t1", swarm.serviceId("cless-hello-00001"), 30001));
        listener.await(TaskReport.Kind.RUNNING, "t1");
        revisions.startEnded("hello-00001");
        int byName = swarm.taskListings();
        int installationListings = swarm.installationListings();

        until(() -> swarm.installationListings() >= installationListings + 3, "slow listings");
        assertThat(swarm.taskListings()).as("no fast polls but one in flight").isLessThanOrEqualTo(byName + 1);
        swarm.setTasks("cless-hello-00001");
        listener.await(TaskReport.Kind.GONE, "t1");
    }

    @Test
    void aHerdOfStartsEndsAtExactlyOneReplica() {
        List<CompletableFuture<ReplicaUpdate>> starts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            starts.add(revisions.startOne(spec("hello-00001"), 1));
        }
        starts.forEach(start -> await(start));

        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(1);
        assertThat(swarm.replicaWrites()).isEqualTo(1);
    }

    @Test
    void lettingGoTakesOneReplicaAwayAndSwarmsPickDrains() {
        String service = startedWith(2, "a", "b");

        ReplicaUpdate update = await(revisions.letGo("hello-00001", "a"));

        assertThat(update.written()).isTrue();
        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(1);
        swarm.setTasks("cless-hello-00001", shuttingDown("a", service, 30001), running("b", service, 30002));
        listener.await(TaskReport.Kind.DRAINING, "a");
    }

    @Test
    void whenSwarmPicksAnotherTaskTheOneLetGoIsReportedRunningAgain() {
        String service = startedWith(2, "a", "b");
        listener.clear();

        await(revisions.letGo("hello-00001", "a"));
        swarm.setTasks("cless-hello-00001", running("a", service, 30001), shuttingDown("b", service, 30002));

        listener.await(TaskReport.Kind.DRAINING, "b");
        listener.await(TaskReport.Kind.RUNNING, "a");
    }

    @Test
    void lettingGoWhenTheCountChangedMeanwhileWritesNothingAndKeepsTheInstance() {
        startedWith(2, "a", "b");
        listener.clear();
        await(swarm.updateReplicas("cless-hello-00001", r -> 3)); // the leader scaled up, its task not listed yet

        ReplicaUpdate update = await(revisions.letGo("hello-00001", "a"));

        assertThat(update.written()).isFalse();
        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(3);
        listener.await(TaskReport.Kind.RUNNING, "a");
    }

    @Test
    void aMissingImageFailsNamingItAndRepeatedFailuresScaleTheServiceBackToZero() {
        revisions.start();
        await(revisions.startOne(spec("hello-00001"), 1));
        String service = swarm.serviceId("cless-hello-00001");
        List<SwarmTask> tasks = new ArrayList<>();
        for (String id : List.of("r1", "r2", "r3")) {
            tasks.add(rejected(id, service, "cless-test/missing:latest"));
            swarm.setTasks("cless-hello-00001", tasks.toArray(SwarmTask[]::new));
            TaskReport failed = listener.await(TaskReport.Kind.FAILED, id);
            assertThat(failed.failure().kind()).isEqualTo(RuntimeFailure.Kind.IMAGE_NOT_FOUND);
            assertThat(failed.failure().getMessage()).contains("image cless-test/missing:latest is missing on node"
                    + " lab-n1 (10.214.9.11)");
        }

        until(() -> swarm.replicas("cless-hello-00001") == 0, "scaled back to 0");
    }

    @Test
    void aServiceRemovedBehindTheBackIsMadeAgainByTheNextStart() {
        await(revisions.prepare(spec("hello-00001")));
        await(swarm.removeService("cless-hello-00001"));

        await(revisions.startOne(spec("hello-00001"), 1));

        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(1);
    }

    @Test
    void reconcileWatchesServingRevisionsAndRemovesTheRest() {
        FakeSwarm.Service serving = swarm.add(spec("hello-00002").withReplicas(1));
        serving.tasks.add(running("kept", serving.id, 30005));
        swarm.add(spec("hello-00001"));
        swarm.add(spec("other-00001", "someone-else"));

        List<SwarmService> adopted = await(revisions.reconcile(
                service -> service.labels().get(ContainerLabels.REVISION).equals("hello-00002")));

        assertThat(adopted).extracting(SwarmService::name).containsExactly("cless-hello-00002");
        assertThat(swarm.exists("cless-hello-00001")).isFalse();
        assertThat(swarm.exists("cless-other-00001")).as("another installation's").isTrue();
        TaskReport report = listener.await(TaskReport.Kind.RUNNING, "kept");
        assertThat(report.address().getPort()).isEqualTo(30005);
        assertThat(swarm.service("cless-hello-00002", true).spec.labels())
                .containsEntry(ContainerLabels.REVISION, "hello-00002");
    }

    @Test
    void removingARevisionRemovesItsServiceAndStopsItsReports() {
        String service = startedWith(1, "a");
        listener.clear();

        await(revisions.remove("hello-00001"));

        assertThat(swarm.exists("cless-hello-00001")).isFalse();
        assertThat(service).isNotNull();
        assertThat(listener.reports()).isEmpty();
    }

    @Test
    void aManagerThatStopsAnsweringIsToldOnceAndAgainWhenItAnswers() {
        revisions.start();
        RuntimeFailure unreachable = new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "the Swarm manager at unix:///x is unreachable", null);
        swarm.down(unreachable);
        until(() -> listener.engineChanges().contains(unreachable), "told it is down");
        until(() -> revisions.down() == unreachable, "down");

        swarm.down(null);

        until(() -> listener.engineChanges().size() == 2, "told it answers again");
        assertThat(revisions.down()).isNull();
        assertThat(listener.engineChanges()).containsExactly(unreachable, null);
    }

    /** A revision started with {@code replicas} replicas whose tasks {@code ids} run; returns the service id. */
    private String startedWith(int replicas, String... ids) {
        revisions.start();
        await(revisions.startOne(spec("hello-00001"), replicas));
        String service = swarm.serviceId("cless-hello-00001");
        List<SwarmTask> tasks = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            tasks.add(running(ids[i], service, 30001 + i));
        }
        swarm.setTasks("cless-hello-00001", tasks.toArray(SwarmTask[]::new));
        for (String id : ids) {
            listener.await(TaskReport.Kind.RUNNING, id);
        }
        revisions.startEnded("hello-00001");
        return service;
    }

    private static void until(BooleanSupplier condition, String what) {
        Waits.until(WAIT, what, condition);
    }
}
