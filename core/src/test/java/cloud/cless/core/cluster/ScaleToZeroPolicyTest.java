package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScaleToZeroPolicyTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(300);
    private static final ReportTiming TIMING = ReportTiming.DEFAULT;

    @Test
    void everyLiveReplicaIdleForTheTimeoutAllowsIt() {
        ClusterView view = view(
                report("r1", 0, Map.of("hello-1", idleFor(301))),
                report("r2", 1, Map.of("hello-1", idleFor(400))));
        ScaleToZeroDecision decision = ScaleToZeroPolicy.decide(view, "hello-1", IDLE_TIMEOUT);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.reason()).contains("every live replica has been idle on hello-1");
    }

    @Test
    void aReplicaThatNeverHadTheRevisionDoesNotBlockIt() {
        ClusterView view = view(
                report("r1", 0, Map.of("hello-1", idleFor(301))),
                report("r2", 0, Map.of()));
        assertThat(ScaleToZeroPolicy.decide(view, "hello-1", IDLE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    void oneReplicaWithARequestInFlightKeepsItUp() {
        ClusterView view = view(
                report("r1", 0, Map.of("hello-1", idleFor(1000))),
                report("r2", 0, Map.of("hello-1", new RevisionActivity(2, NOW))));
        ScaleToZeroDecision decision = ScaleToZeroPolicy.decide(view, "hello-1", IDLE_TIMEOUT);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isEqualTo("replica r2 has 2 request(s) of hello-1 in flight");
    }

    @Test
    void steadyLoadOnOneReplicaKeepsItUpWhileTheOthersAreIdle() {
        ClusterView view = view(
                report("r1", 0, Map.of("hello-1", idleFor(3600))),
                report("r2", 0, Map.of("hello-1", idleFor(3600))),
                report("r3", 0, Map.of("hello-1", idleFor(12))));
        ScaleToZeroDecision decision = ScaleToZeroPolicy.decide(view, "hello-1", IDLE_TIMEOUT);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).contains("replica r3 had a request of hello-1 12 s ago");
    }

    @Test
    void aStaleReplicaBlocksItUntilDeclaredDead() {
        ReplicaReport silent = report("r2", 5, Map.of());
        ClusterView stale = view(report("r1", 0, Map.of("hello-1", idleFor(1000))), silent);
        ScaleToZeroDecision decision = ScaleToZeroPolicy.decide(stale, "hello-1", IDLE_TIMEOUT);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).contains("replica r2 last reported 5 s ago");

        ClusterView dead = view(report("r1", 0, Map.of("hello-1", idleFor(1000))), report("r2", 15, Map.of()));
        assertThat(dead.stale()).isEmpty();
        assertThat(ScaleToZeroPolicy.decide(dead, "hello-1", IDLE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    void idleTimeIsCountedToNowNotToTheReport() {
        // Reported 2 s ago as idle for 299 s: idle for 301 s by now.
        ClusterView view = view(report("r1", 2, Map.of("hello-1", idleFor(301))));
        assertThat(view.stale()).isEmpty();
        assertThat(ScaleToZeroPolicy.decide(view, "hello-1", IDLE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    void noReportAtAllRefusesIt() {
        ScaleToZeroDecision decision = ScaleToZeroPolicy.decide(view(), "hello-1", IDLE_TIMEOUT);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isEqualTo("no replica has reported lately");
    }

    private static RevisionActivity idleFor(long seconds) {
        return new RevisionActivity(0, NOW.minusSeconds(seconds));
    }

    /** A report made {@code ageSeconds} ago; activity times are given as of now. */
    static ReplicaReport report(String id, long ageSeconds, Map<String, RevisionActivity> revisions) {
        return new ReplicaReport(id, id + ".host", id + ".host:80", NOW.minusSeconds(3600),
                NOW.minusSeconds(ageSeconds), revisions);
    }

    private static ClusterView view(ReplicaReport... reports) {
        return ClusterView.of(NOW, List.of(reports), TIMING);
    }
}
