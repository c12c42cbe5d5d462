package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.ScalingPolicy.Decision;
import cloud.cless.core.instance.ScalingPolicy.Load;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ScalingSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalingPolicyTest {
    private static final long NOW = 1_000_000;

    private static ScalingSettings settings(int min, int max, IdleAction action) {
        return new ScalingSettings(min, max, 0, Duration.ofSeconds(60), action);
    }

    private static Load ready(int inFlight, long idleMillis) {
        return new Load(InstanceState.READY, inFlight, NOW - idleMillis);
    }

    @Test
    void instancesIdleForTheTimeoutAreStoppedOldestFirst() {
        List<Load> loads = List.of(ready(0, 61_000), ready(0, 90_000), ready(0, 59_000), ready(1, 600_000));

        Decision decision = ScalingPolicy.decide(NOW, settings(0, 5, IdleAction.STOP), loads, true, 0);

        assertThat(decision.idle()).containsExactly(1, 0);
        assertThat(decision.pause()).isFalse();
        assertThat(decision.start()).isZero();
    }

    @Test
    void minInstancesStayAwake() {
        List<Load> loads = List.of(ready(0, 61_000), ready(0, 90_000), ready(0, 120_000));

        Decision decision = ScalingPolicy.decide(NOW, settings(2, 5, IdleAction.STOP), loads, true, 0);

        assertThat(decision.idle()).containsExactly(2);
    }

    @Test
    void pausedInstancesAreNotAwakeButStillCountAsLive() {
        List<Load> loads = List.of(new Load(InstanceState.PAUSED, 0, 0), ready(0, 90_000));

        Decision kept = ScalingPolicy.decide(NOW, settings(1, 5, IdleAction.PAUSE), loads, true, 0);

        assertThat(kept.idle()).as("the only awake one stays awake").isEmpty();
        assertThat(kept.start()).as("a paused instance is capacity: nothing is started").isZero();
    }

    @Test
    void idleInstancesArePausedWithIdleActionPause() {
        Decision decision = ScalingPolicy.decide(NOW, settings(0, 5, IdleAction.PAUSE), List.of(ready(0, 61_000)),
                true, 0);

        assertThat(decision.idle()).containsExactly(0);
        assertThat(decision.pause()).isTrue();
    }

    @Test
    void startsUpToMinInstancesWhenAllowed() {
        List<Load> loads = List.of(new Load(InstanceState.STARTING, 0, NOW));

        assertThat(ScalingPolicy.decide(NOW, settings(3, 5, IdleAction.STOP), loads, true, 0).start()).isEqualTo(2);
        assertThat(ScalingPolicy.decide(NOW, settings(3, 5, IdleAction.STOP), loads, false, 0).start())
                .as("not while containers may not be created").isZero();
        assertThat(ScalingPolicy.decide(NOW, settings(3, 5, IdleAction.STOP), loads, true, NOW + 1).start())
                .as("not before the backoff after a failed start").isZero();
        assertThat(ScalingPolicy.decide(NOW, settings(3, 5, IdleAction.STOP), loads, true, NOW).start()).isEqualTo(2);
    }

    @Test
    void nothingToDoIsNothing() {
        assertThat(ScalingPolicy.decide(NOW, settings(0, 1, IdleAction.STOP), List.of(ready(0, 1_000)), true, 0))
                .isSameAs(Decision.NOTHING);
        assertThat(ScalingPolicy.decide(NOW, settings(0, 1, IdleAction.STOP), List.of(), true, 0).start()).isZero();
    }
}
