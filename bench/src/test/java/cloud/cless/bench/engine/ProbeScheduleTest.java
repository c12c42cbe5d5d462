package cloud.cless.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProbeScheduleTest {
    @Test
    void readsTheIntervalsOfCoresReadinessProbe() {
        ProbeSchedule schedule = ProbeSchedule.ofReadinessProbe();

        assertThat(schedule.source()).startsWith("cloud.cless.core.").endsWith(".ReadinessProbe");
        assertThat(schedule.firstRetryMillis()).isPositive();
        assertThat(schedule.maxRetryMillis()).isGreaterThanOrEqualTo(schedule.firstRetryMillis());
    }

    @Test
    void doublesTheDelayUpToTheLongest() {
        ProbeSchedule schedule = new ProbeSchedule(2, 5, "test");

        assertThat(schedule.next(2)).isEqualTo(4);
        assertThat(schedule.next(4)).isEqualTo(5);
        assertThat(schedule.next(5)).isEqualTo(5);
    }

    @Test
    void refusesALongestDelayBelowTheFirst() {
        assertThatThrownBy(() -> new ProbeSchedule(5, 2, "test"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("first 5 ms, max 2 ms");
    }
}
