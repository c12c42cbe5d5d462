package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterViewTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final ReportTiming TIMING = new ReportTiming(Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(15));

    @Test
    void sortsReportsIntoLiveStaleAndDeadByAge() {
        ClusterView view = ClusterView.of(NOW, List.of(
                report("c", 0), report("a", 3), report("b", 4), report("d", 14), report("e", 15), report("f", 99)),
                TIMING);
        assertThat(view.live()).extracting(ReplicaReport::id).containsExactly("a", "c");
        assertThat(view.stale()).extracting(ReplicaReport::id).containsExactly("b", "d");
        assertThat(view.replica("e")).isEmpty();
        assertThat(view.replica("d")).isPresent();
    }

    @Test
    void sumsEachRevisionOverTheLiveReplicasOnly() {
        Instant early = NOW.minusSeconds(100);
        Instant late = NOW.minusSeconds(5);
        ClusterView view = ClusterView.of(NOW, List.of(
                report("r1", 0, Map.of("a-1", new RevisionActivity(2, early), "b-1", new RevisionActivity(0, early))),
                report("r2", 1, Map.of("a-1", new RevisionActivity(3, late))),
                report("r3", 9, Map.of("a-1", new RevisionActivity(50, NOW)))), TIMING);
        assertThat(view.revision("a-1")).contains(new RevisionLoad(5, late, 2));
        assertThat(view.revision("b-1")).contains(new RevisionLoad(0, early, 1));
        assertThat(view.revision("c-1")).isEmpty();
    }

    @Test
    void aReportFromTheFutureIsNotNegativelyOld() {
        assertThat(report("r1", -2).age(NOW)).isZero();
    }

    private static ReplicaReport report(String id, long ageSeconds) {
        return report(id, ageSeconds, Map.of());
    }

    private static ReplicaReport report(String id, long ageSeconds, Map<String, RevisionActivity> revisions) {
        return new ReplicaReport(id, id, id + ":80", NOW.minusSeconds(3600), NOW.minusSeconds(ageSeconds), revisions);
    }
}
