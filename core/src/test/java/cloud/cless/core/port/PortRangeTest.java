package cloud.cless.core.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PortRangeTest {

    @Test
    void parsesFirstDashLast() {
        assertThat(PortRange.parse("20000-29999")).isEqualTo(new PortRange(20000, 29999));
        assertThat(PortRange.parse(" 1 - 65535 ")).isEqualTo(new PortRange(1, 65535));
        assertThat(PortRange.parse("8080-8080").size()).isEqualTo(1);
        assertThat(new PortRange(20000, 29999).size()).isEqualTo(10000);
        assertThat(new PortRange(20000, 29999)).hasToString("20000-29999");
    }

    @Test
    void containsItsBoundsOnly() {
        PortRange range = new PortRange(10, 20);
        assertThat(range.contains(10)).isTrue();
        assertThat(range.contains(20)).isTrue();
        assertThat(range.contains(9)).isFalse();
        assertThat(range.contains(21)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "20000", "-29999", "20000-", "a-b", "20000-2999x", "20000--29999", "20000:29999",
            "2 0000-29999", "0x10-0x20", "123456-123457", "+1-5"})
    void malformedRangesSayWhatIsExpected(String text) {
        assertThatThrownBy(() -> PortRange.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("e.g. 20000-29999");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-10", "1-65536", "70000-70001"})
    void portsOutsideOneTo65535AreRejected(String text) {
        assertThatThrownBy(() -> PortRange.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 65535");
    }

    @Test
    void firstAboveLastIsRejected() {
        assertThatThrownBy(() -> PortRange.parse("30000-20000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("30000-20000")
                .hasMessageContaining("must not be above");
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> PortRange.parse(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("first-last");
    }
}
