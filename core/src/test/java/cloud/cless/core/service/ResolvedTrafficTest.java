package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResolvedTrafficTest {
    private static final Revision ONE = Revisions.revision(Revisions.hello("v1"), 1);
    private static final Revision TWO = Revisions.revision(Revisions.hello("v2"), 2);
    private static final Revision THREE = Revisions.revision(Revisions.hello("v3"), 3);
    private static final List<Revision> ALL = List.of(ONE, TWO, THREE);

    @Test
    void latestIsTheNewestRevision() {
        ResolvedTraffic traffic = ResolvedTraffic.resolve(TrafficTarget.DEFAULT, ALL);
        assertThat(traffic.shares()).containsExactly(new ResolvedTraffic.Share(THREE, 100));
        assertThat(traffic.tags()).isEmpty();
        assertThat(traffic.percentOf("hello-00003")).isEqualTo(100);
        assertThat(traffic.serves("hello-00001")).isFalse();
    }

    @Test
    void entriesForOneRevisionAddUpAndZeroPercentEntriesGetNoShare() {
        ResolvedTraffic traffic = ResolvedTraffic.resolve(List.of(TrafficTarget.to("hello-00001", 40),
                TrafficTarget.latest(50).withTag("next"), TrafficTarget.to("hello-00003", 10).withTag("edge"),
                TrafficTarget.to("hello-00002", 0).withTag("old")), ALL);
        assertThat(traffic.shares()).containsExactly(new ResolvedTraffic.Share(ONE, 40),
                new ResolvedTraffic.Share(THREE, 60));
        assertThat(traffic.tags()).containsExactly(java.util.Map.entry("next", THREE),
                java.util.Map.entry("edge", THREE), java.util.Map.entry("old", TWO));
        assertThat(traffic.tagsOf("hello-00003")).containsExactly("next", "edge");
        assertThat(traffic.tagsOf("hello-00001")).isEmpty();
        assertThat(traffic.serves("hello-00002")).isFalse();
    }

    @Test
    void theSameTrafficResolvedAgainIsEqualAndOtherwiseNot() {
        List<TrafficTarget> split = List.of(TrafficTarget.to("hello-00001", 90), TrafficTarget.latest(10));
        assertThat(ResolvedTraffic.resolve(split, ALL)).isEqualTo(ResolvedTraffic.resolve(split, ALL));
        // The same entries after a new revision: latest moved, so the traffic changed.
        assertThat(ResolvedTraffic.resolve(split, ALL)).isNotEqualTo(ResolvedTraffic.resolve(split, ALL.subList(0, 2)));
        // Different entries, same outcome: equal.
        assertThat(ResolvedTraffic.resolve(List.of(TrafficTarget.to("hello-00003", 100)), ALL))
                .isEqualTo(ResolvedTraffic.resolve(TrafficTarget.DEFAULT, ALL));
    }

    @Test
    void anUnknownRevisionIsRefused() {
        assertThatThrownBy(() -> ResolvedTraffic.resolve(List.of(TrafficTarget.to("hello-00009", 100)), ALL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hello-00009");
    }
}
