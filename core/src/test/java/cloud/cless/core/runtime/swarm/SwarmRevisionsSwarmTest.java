package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.SwarmSupport;
import cloud.cless.core.testing.Waits;
import cloud.cless.core.testing.TestImages;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link SwarmRevisions} against a real single-node swarm on a private engine (see {@link SwarmSupport}). */
class SwarmRevisionsSwarmTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final SwarmSupport swarm = new SwarmSupport();

    private static ExecutorService executor;
    private static SwarmClient client;
    private ScheduledExecutorService timer;
    private RecordingRevisionsListener listener;
    private SwarmRevisions revisions;

    @BeforeAll
    static void open() {
        executor = Executors.newFixedThreadPool(4);
        client = new SwarmClient(swarm.dockerHost(), executor, SwarmClient.DEFAULT_CALL_TIMEOUT);
    }

    @AfterAll
    static void closeClient() {
        if (client != null) {
            client.close();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @BeforeEach
    void start() {
        timer = Executors.newSingleThreadScheduledExecutor();
        listener = new RecordingRevisionsListener(WAIT);
        revisions = new SwarmRevisions(client, timer, swarm.installationId(), TaskPolling.defaults(), listener);
        revisions.start();
    }

    @AfterEach
    void stop() {
        revisions.close();
        timer.shutdownNow();
        for (SwarmService left : await(client.listManaged(swarm.installationId()))) {
            await(client.removeService(left.name()));
        }
    }

    private static SwarmServiceSpec spec(String image) {
        String revision = "rev-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        return new SwarmServiceSpec("rev", revision, swarm.installationId(), image, TestImages.PORT,
                Map.of("GREETING", "hi"), null, null, 0, Duration.ofSeconds(1), List.of());
    }

    @Test
    void aStartFromZeroReportsTheTaskRunningAtItsNodeAndPortAndLettingItGoDrainsIt() throws IOException {
        SwarmServiceSpec spec = spec(TestImages.HELLO);
        await(revisions.prepare(spec));
        assertThat(await(revisions.replicas().desired(spec.revision()))).isZero();

        await(revisions.startOne(spec, 1));
        TaskReport running = listener.await(TaskReport.Kind.RUNNING, anyTask(spec));
        revisions.startEnded(spec.revision());

        InetSocketAddress address = running.address();
        assertThat(address.getAddress()).isEqualTo(swarm.nodeAddress());
        assertThat(DockerSupport.awaitHttp(address, "/cgi-bin/env", WAIT)).contains("PORT=8080")
                .contains("GREETING=hi");

        ReplicaUpdate down = await(revisions.letGo(spec.revision(), running.instanceId()));
        assertThat(down.written()).isTrue();
        assertThat(down.replicas()).isZero();
        listener.await(TaskReport.Kind.DRAINING, running.instanceId());
        listener.await(TaskReport.Kind.GONE, running.instanceId());
    }

    @Test
    void ofTwoTasksSwarmTakesOneAwayAndTheOtherIsKept() {
        SwarmServiceSpec spec = spec(TestImages.HELLO);
        await(revisions.startOne(spec, 2));
        until(() -> listener.count(TaskReport.Kind.RUNNING, spec.revision()) >= 2, "two tasks running");
        revisions.startEnded(spec.revision());
        List<TaskReport> both = listener.all(TaskReport.Kind.RUNNING, spec.revision());
        String letGo = both.get(0).instanceId();
        String other = both.get(1).instanceId();
        listener.clear();

        await(revisions.letGo(spec.revision(), letGo));

        // Whichever Swarm picked drains; when it was the other one, the one let go is offered back.
        until(() -> !listener.all(TaskReport.Kind.DRAINING, spec.revision()).isEmpty(), "a task drains");
        String picked = listener.all(TaskReport.Kind.DRAINING, spec.revision()).get(0).instanceId();
        assertThat(picked).isIn(letGo, other);
        if (picked.equals(other)) {
            listener.await(TaskReport.Kind.RUNNING, letGo);
        }
        assertThat(await(revisions.replicas().desired(spec.revision()))).isEqualTo(1);
    }

    @Test
    void aMissingImageFailsNamingTheImageAndTheNodeAndTheServiceIsScaledBackToZero() {
        String missing = "cless-test/missing-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ":latest";
        SwarmServiceSpec spec = spec(missing);

        await(revisions.startOne(spec, 1));

        until(() -> listener.count(TaskReport.Kind.FAILED, spec.revision()) >= 1, "a failure");
        RuntimeFailure failure = listener.all(TaskReport.Kind.FAILED, spec.revision()).get(0).failure();
        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.IMAGE_NOT_FOUND);
        assertThat(failure.getMessage()).startsWith("image " + missing + " is missing on node ")
                .contains("(" + swarm.nodeAddress().getHostAddress() + ")").contains("No such image");
        revisions.startEnded(spec.revision());
        until(() -> await(revisions.replicas().desired(spec.revision())) == 0,
                "scaled back to 0 after " + TaskTracker.FAILURES_BEFORE_SCALE_BACK + " failures");
        assertThat(listener.count(TaskReport.Kind.FAILED, spec.revision()))
                .isGreaterThanOrEqualTo(TaskTracker.FAILURES_BEFORE_SCALE_BACK);
    }

    @Test
    void reconcileAdoptsTheRunningTasksOfServingRevisionsAndRemovesTheRest() {
        SwarmServiceSpec serving = spec(TestImages.HELLO).withReplicas(1);
        SwarmServiceSpec retired = spec(TestImages.HELLO);
        await(client.createService(serving));
        await(client.createService(retired));
        until(() -> await(client.tasks(serving.name())).stream().anyMatch(SwarmTask::isRunning),
                "a task of the serving revision runs");

        List<SwarmService> adopted = await(revisions.reconcile(
                service -> service.labels().get(ContainerLabels.REVISION).equals(serving.revision())));

        assertThat(adopted).extracting(SwarmService::name).containsExactly(serving.name());
        TaskReport running = listener.await(TaskReport.Kind.RUNNING, anyTask(serving));
        assertThat(DockerSupport.awaitHttp(running.address(), "/", WAIT)).contains(TestImages.HELLO_BODY);
        assertThat(await(client.listManaged(swarm.installationId()))).extracting(SwarmService::name)
                .containsExactly(serving.name());
    }

    /** The id of the first task of {@code spec}'s service that runs, waiting for it. */
    private static String anyTask(SwarmServiceSpec spec) {
        String[] found = new String[1];
        until(() -> {
            for (SwarmTask task : await(client.tasks(spec.name()))) {
                if (task.isRunning() && task.address().isPresent()) {
                    found[0] = task.id();
                    return true;
                }
            }
            return false;
        }, "a task of " + spec.name() + " runs");
        return found[0];
    }

    private static void until(BooleanSupplier condition, String what) {
        Waits.until(WAIT, what, condition);
    }
}
