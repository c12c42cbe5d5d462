package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

    @Test
    void doublesFromInitialUpToMax() {
        assertThat(backoff.delay(1, () -> 0.999999)).isCloseTo(Duration.ofMillis(100), Duration.ofMillis(1));
        assertThat(backoff.delay(2, () -> 0.999999)).isCloseTo(Duration.ofMillis(200), Duration.ofMillis(1));
        assertThat(backoff.delay(4, () -> 0.999999)).isCloseTo(Duration.ofMillis(800), Duration.ofMillis(1));
        assertThat(backoff.delay(30, () -> 0.999999)).isCloseTo(Duration.ofSeconds(5), Duration.ofMillis(1));
        assertThat(backoff.delay(Integer.MAX_VALUE, () -> 0.5)).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void drawsBetweenHalfAndAllOfTheStep() {
        assertThat(backoff.delay(3, () -> 0.0)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.delay(3, () -> 0.5)).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
