package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChangeTest {

    @Test
    void payloadRoundTripsWithAnyIdCharacters() {
        Change change = new Change(Change.SERVICE, "a:b c", 42);
        assertThat(change.payload()).isEqualTo("service:42:a:b c");
        assertThat(Change.parse(change.payload())).contains(change);
    }

    @Test
    void aPayloadThatIsNotAChangeParsesToNothing() {
        assertThat(Change.parse("hello")).isEmpty();
        assertThat(Change.parse("service:x:hello")).isEmpty();
        assertThat(Change.parse("Service:1:hello")).isEmpty();
        assertThat(Change.parse("service:1:")).isEmpty();
    }

    @Test
    void subjectsAreLowerCaseWords() {
        assertThatThrownBy(() -> new Change("a:b", "x", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Change("service", "", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
