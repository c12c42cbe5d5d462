package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ScalingSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScalePlannerTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration IDLE = Duration.ofSeconds(300);

    private static ScalingSettings scaling(int min, int max, int concurrency) {
        return new ScalingSettings(min, max, concurrency, IDLE, IdleAction.STOP);
    }

    @Test
    void theTargetIsTheInstancesTheClustersRequestsNeedWithinMinAndMax() {
        assertThat(ScalePlanner.target(scaling(0, 10, 4), 0)).isZero();
        assertThat(ScalePlanner.target(scaling(0, 10, 4), 1)).isEqualTo(1);
        assertThat(ScalePlanner.target(scaling(0, 10, 4), 8)).isEqualTo(2);
        assertThat(ScalePlanner.target(scaling(0, 10, 4), 9)).isEqualTo(3);
        assertThat(ScalePlanner.target(scaling(0, 3, 4), 100)).isEqualTo(3);
        assertThat(ScalePlanner.target(scaling(2, 10, 4), 1)).isEqualTo(2);
        // Unlimited concurrency: one instance takes any load.
        assertThat(ScalePlanner.target(scaling(0, 10, 0), 0)).isZero();
        assertThat(ScalePlanner.target(scaling(0, 10, 0), 500)).isEqualTo(1);
    }

    @Test
    void theLoadIsSummedOverTheLiveReplicas() {
        ClusterView view = view(NOW,
                ScaleToZeroPolicyTest.report("r1", 0, Map.of("hello", new RevisionActivity(5, NOW))),
                ScaleToZeroPolicyTest.report("r2", 1, Map.of("hello", new RevisionActivity(6, NOW))),
                ScaleToZeroPolicyTest.report("r3", 0, Map.of("other", new RevisionActivity(0, NOW))));

        ScalePlan plan = ScalePlanner.plan(view, Map.of("hello", scaling(0, 10, 4)), Map.of());

        RevisionScale hello = plan.revision("hello").orElseThrow();
        assertThat(hello.inFlight()).isEqualTo(11);
        assertThat(hello.target()).isEqualTo(3);
        assertThat(hello.toZero().allowed()).isFalse();
        assertThat(hello.toZero().reason()).contains("in flight");
        assertThat(plan.at()).isEqualTo(NOW);
        assertThat(plan.unreportedSince()).isEmpty();
    }

    @Test
    void aRevisionEveryLiveReplicaReportsIdleForItsTimeoutMayScaleToZero() {
        ClusterView view = view(NOW,
                ScaleToZeroPolicyTest.report("r1", 0, Map.of("hello", new RevisionActivity(0, NOW.minusSeconds(301)))),
                ScaleToZeroPolicyTest.report("r2", 0, Map.of("hello", new RevisionActivity(0, NOW.minusSeconds(900)))));

        RevisionScale hello = ScalePlanner.plan(view, Map.of("hello", scaling(0, 10, 4)), Map.of())
                .revision("hello").orElseThrow();

        assertThat(hello.target()).isZero();
        assertThat(hello.toZero().allowed()).isTrue();
    }

    @Test
    void minInstancesNeverScaleToZero() {
        ClusterView view = view(NOW,
                ScaleToZeroPolicyTest.report("r1", 0, Map.of("hello", new RevisionActivity(0, NOW.minusSeconds(9000)))));

        RevisionScale hello = ScalePlanner.plan(view, Map.of("hello", scaling(1, 10, 4)), Map.of())
                .revision("hello").orElseThrow();

        assertThat(hello.target()).isEqualTo(1);
        assertThat(hello.toZero().allowed()).isFalse();
        assertThat(hello.toZero().reason()).isEqualTo("hello keeps min_instances 1");
    }

    @Test
    void aRevisionNoReplicaReportsScalesToZeroOnlyAfterTheLeaderSawItUnreportedForItsIdleTimeout() {
        Map<String, ScalingSettings> revisions = Map.of("hello", scaling(0, 10, 4));
        ClusterView first = view(NOW, ScaleToZeroPolicyTest.report("r1", 0, Map.of()));

        ScalePlan round1 = ScalePlanner.plan(first, revisions, Map.of());
        assertThat(round1.revision("hello").orElseThrow().toZero().allowed()).isFalse();
        assertThat(round1.revision("hello").orElseThrow().toZero().reason())
                .contains("no live replica has reported hello for 0 s");
        assertThat(round1.unreportedSince()).containsEntry("hello", NOW);

        ClusterView later = view(NOW.plus(IDLE), reportAt(NOW.plus(IDLE), Map.of()));
        ScalePlan round2 = ScalePlanner.plan(later, revisions, round1.unreportedSince());
        assertThat(round2.revision("hello").orElseThrow().toZero().allowed()).isTrue();
        assertThat(round2.unreportedSince()).containsEntry("hello", NOW);

        // A new leader has seen nothing: it waits the idle timeout again.
        assertThat(ScalePlanner.plan(later, revisions, Map.of()).revision("hello").orElseThrow().toZero().allowed())
                .isFalse();
    }

    @Test
    void aRevisionReportedAgainIsNoLongerCountedAsUnreported() {
        Map<String, ScalingSettings> revisions = Map.of("hello", scaling(0, 10, 4));
        ClusterView reported = view(NOW,
                ScaleToZeroPolicyTest.report("r1", 0, Map.of("hello", new RevisionActivity(1, NOW))));

        ScalePlan plan = ScalePlanner.plan(reported, revisions, Map.of("hello", NOW.minusSeconds(3600)));

        assertThat(plan.unreportedSince()).isEmpty();
        assertThat(plan.revision("hello").orElseThrow().target()).isEqualTo(1);
    }

    @Test
    void aStaleReplicaBlocksScaleToZeroEvenOfUnreportedRevisions() {
        ClusterView view = view(NOW, ScaleToZeroPolicyTest.report("r1", 0, Map.of()),
                ScaleToZeroPolicyTest.report("r2", 5, Map.of()));

        RevisionScale hello = ScalePlanner.plan(view, Map.of("hello", scaling(0, 10, 4)),
                Map.of("hello", NOW.minusSeconds(3600))).revision("hello").orElseThrow();

        assertThat(hello.toZero().allowed()).isFalse();
        assertThat(hello.toZero().reason()).contains("replica r2 last reported 5 s ago");
    }

    @Test
    void revisionsAreDecidedInNameOrderAndOnlyThoseGiven() {
        ClusterView view = view(NOW, ScaleToZeroPolicyTest.report("r1", 0,
                Map.of("gone", new RevisionActivity(2, NOW))));

        ScalePlan plan = ScalePlanner.plan(view, Map.of("b", scaling(0, 1, 0), "a", scaling(0, 1, 0)), Map.of());

        assertThat(plan.revisions()).extracting(RevisionScale::revision).containsExactly("a", "b");
    }

    private static ReplicaReport reportAt(Instant at, Map<String, RevisionActivity> revisions) {
        return new ReplicaReport("r1", "r1.host", "r1.host:80", at.minusSeconds(3600), at, revisions);
    }

    private static ClusterView view(Instant now, ReplicaReport... reports) {
        return ClusterView.of(now, List.of(reports), ReportTiming.DEFAULT);
    }
}
