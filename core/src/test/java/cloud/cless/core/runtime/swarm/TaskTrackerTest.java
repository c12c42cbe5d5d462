package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.runtime.swarm.SwarmTasks.ended;
import static cloud.cless.core.runtime.swarm.SwarmTasks.rejected;
import static cloud.cless.core.runtime.swarm.SwarmTasks.running;
import static cloud.cless.core.runtime.swarm.SwarmTasks.shuttingDown;
import static cloud.cless.core.runtime.swarm.SwarmTasks.starting;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.RuntimeFailure;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskTrackerTest {
    private static final String SERVICE = "svc1";
    private static final String IMAGE = "cless-test/missing:latest";

    private final TaskTracker tracker = new TaskTracker("hello-00001");
    private long issued;
    private long now = 1_000;

    private List<TaskReport> observe(SwarmTask... tasks) {
        return tracker.observe(List.of(tasks), ++issued, now);
    }

    private static List<String> kinds(List<TaskReport> reports) {
        return reports.stream().map(r -> r.kind() + " " + r.instanceId()).toList();
    }

    @Test
    void theFirstListingReportsRunningAndStartingTasksButNotTheHistory() {
        List<TaskReport> reports = observe(running("a", SERVICE, 30001), starting("b", SERVICE), ended("c", SERVICE),
                rejected("d", SERVICE, IMAGE));

        assertThat(kinds(reports)).containsExactly("RUNNING a", "STARTING b");
        assertThat(reports.get(0).address()).isEqualTo(new InetSocketAddress("10.214.9.11", 30001));
        assertThat(reports.get(0).revision()).isEqualTo("hello-00001");
        assertThat(tracker.wanted()).isEqualTo(2);
    }

    @Test
    void aFailureOnTheFirstListingIsReportedWhenAStartWaits() {
        tracker.startPending();

        assertThat(kinds(observe(ended("c", SERVICE), rejected("d", SERVICE, IMAGE)))).containsExactly("FAILED d");
    }

    @Test
    void aTaskIsReportedOncePerChange() {
        observe();
        assertThat(kinds(observe(starting("a", SERVICE)))).containsExactly("STARTING a");
        assertThat(observe(starting("a", SERVICE))).isEmpty();
        assertThat(kinds(observe(running("a", SERVICE, 30001)))).containsExactly("RUNNING a");
        assertThat(observe(running("a", SERVICE, 30001))).isEmpty();
        assertThat(kinds(observe(shuttingDown("a", SERVICE, 30001)))).containsExactly("DRAINING a");
        assertThat(kinds(observe(ended("a", SERVICE)))).containsExactly("GONE a");
        assertThat(observe(ended("a", SERVICE))).isEmpty();
        assertThat(observe()).isEmpty();
    }

    @Test
    void aRunningTaskWithoutItsPortIsStillStarting() {
        observe();
        assertThat(kinds(observe(running("a", SERVICE, -1)))).containsExactly("STARTING a");
        assertThat(kinds(observe(running("a", SERVICE, 30001)))).containsExactly("RUNNING a");
    }

    @Test
    void aTaskThatIsNoLongerListedIsGone() {
        observe(running("a", SERVICE, 30001), starting("b", SERVICE));

        assertThat(kinds(observe())).containsExactlyInAnyOrder("GONE a", "GONE b");
        assertThat(tracker.wanted()).isZero();
    }

    @Test
    void aTaskScaledAwayBeforeItRanIsGone() {
        observe(starting("a", SERVICE));

        assertThat(kinds(observe(ended("a", SERVICE)))).containsExactly("GONE a");
    }

    @Test
    void aRejectedTaskIsAFailureNamingTheImageAndTheNode() {
        observe();
        List<TaskReport> reports = observe(rejected("a", SERVICE, IMAGE));

        assertThat(kinds(reports)).containsExactly("FAILED a");
        RuntimeFailure failure = reports.get(0).failure();
        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.IMAGE_NOT_FOUND);
        assertThat(failure.getMessage()).isEqualTo("image cless-test/missing:latest is missing on node lab-n1"
                + " (10.214.9.11) of the swarm (No such image: cless-test/missing:latest; task a rejected)");
    }

    @Test
    void aStartingTaskThatFailsIsAFailure() {
        observe(starting("a", SERVICE));

        List<TaskReport> reports = observe(SwarmTasks.task("a", SERVICE, SwarmTaskState.SHUTDOWN,
                SwarmTaskState.FAILED, "task: non-zero exit (1)", -1));

        assertThat(kinds(reports)).containsExactly("FAILED a");
        assertThat(reports.get(0).failure().kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(reports.get(0).failure().getMessage()).isEqualTo("task a of image cless-test/hello:latest on node"
                + " lab-n1 (10.214.9.11) failed: task: non-zero exit (1)");
    }

    @Test
    void aScaleBackIsDueAfterRepeatedFailuresWithNothingRunning() {
        observe();
        observe(rejected("a", SERVICE, IMAGE));
        observe(rejected("a", SERVICE, IMAGE), rejected("b", SERVICE, IMAGE));
        assertThat(tracker.scaleBackDue()).isFalse();

        observe(rejected("a", SERVICE, IMAGE), rejected("b", SERVICE, IMAGE), rejected("c", SERVICE, IMAGE));

        assertThat(tracker.scaleBackDue()).isTrue();
        assertThat(tracker.scaleBackDue()).as("counted from zero again").isFalse();
    }

    @Test
    void noScaleBackWhileATaskRunsAndARunningTaskStartsTheCountAgain() {
        observe(running("r", SERVICE, 30001));
        for (String id : List.of("a", "b", "c")) {
            observe(running("r", SERVICE, 30001), rejected(id, SERVICE, IMAGE));
        }
        assertThat(tracker.scaleBackDue()).isFalse();

        observe(rejected("d", SERVICE, IMAGE), rejected("e", SERVICE, IMAGE)); // r vanished
        observe(running("f", SERVICE, 30002));
        observe(rejected("g", SERVICE, IMAGE));
        assertThat(tracker.scaleBackDue()).isFalse();
    }

    @Test
    void aStaleListingChangesNothing() {
        observe(running("a", SERVICE, 30001));
        long olderIssue = issued - 1;

        assertThat(tracker.observe(List.of(), olderIssue, now)).isEmpty();
        assertThat(tracker.wanted()).isEqualTo(1);
    }

    @Test
    void theInstanceLetGoIsTheOneSwarmPicked() {
        observe(running("a", SERVICE, 30001), running("b", SERVICE, 30002));
        tracker.released("a", now);
        assertThat(tracker.fast(now)).isTrue();

        assertThat(kinds(observe(shuttingDown("a", SERVICE, 30001), running("b", SERVICE, 30002))))
                .containsExactly("DRAINING a");
        assertThat(tracker.fast(now)).isFalse();
        assertThat(tracker.wanted()).isEqualTo(1);
    }

    @Test
    void whenSwarmPicksAnotherTaskTheInstanceLetGoIsOfferedBack() {
        observe(running("a", SERVICE, 30001), running("b", SERVICE, 30002));
        tracker.released("a", now);

        List<TaskReport> reports = observe(running("a", SERVICE, 30001), shuttingDown("b", SERVICE, 30002));

        assertThat(kinds(reports)).containsExactly("DRAINING b", "RUNNING a");
        assertThat(reports.get(1).address()).isEqualTo(new InetSocketAddress("10.214.9.11", 30001));
        assertThat(tracker.fast(now)).isFalse();
    }

    @Test
    void whenSwarmTakesATaskThatIsNotRunningYetTheInstanceLetGoIsOfferedBack() {
        observe(running("a", SERVICE, 30001), starting("b", SERVICE));
        tracker.released("a", now);

        assertThat(kinds(observe(running("a", SERVICE, 30001), ended("b", SERVICE))))
                .containsExactly("GONE b", "RUNNING a");
    }

    @Test
    void anInstanceLetGoThatSwarmDoesNotPickInTimeIsOfferedBack() {
        observe(running("a", SERVICE, 30001));
        tracker.released("a", now);
        assertThat(tracker.expire(now + TaskTracker.PICK_WAIT_MILLIS - 1)).isEmpty();

        assertThat(kinds(tracker.expire(now + TaskTracker.PICK_WAIT_MILLIS))).containsExactly("RUNNING a");
        assertThat(tracker.fast(now)).isFalse();
    }

    @Test
    void aScaleDownThatWroteNothingOffersTheInstanceBackAtOnce() {
        observe(running("a", SERVICE, 30001));
        tracker.released("a", now);

        assertThat(kinds(tracker.releaseUndone("a"))).containsExactly("RUNNING a");
        assertThat(tracker.releaseUndone("a")).isEmpty();
    }

    @Test
    void pollsAreFastWhileAStartIsAwaitedOrATaskIsComingUp() {
        observe();
        assertThat(tracker.fast(now)).isFalse();
        tracker.startPending();
        assertThat(tracker.fast(now)).isTrue();
        tracker.startEnded();
        assertThat(tracker.fast(now)).isFalse();

        observe(starting("a", SERVICE));
        assertThat(tracker.fast(now)).as("another replica's start").isTrue();
        assertThat(tracker.fast(now + TaskTracker.STARTING_FAST_MILLIS)).as("stuck pending").isFalse();
    }
}
