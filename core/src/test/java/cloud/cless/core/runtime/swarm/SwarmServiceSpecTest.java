package cloud.cless.core.runtime.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SwarmServiceSpecTest {

    private static SwarmServiceSpec spec(String revision, Map<String, String> env) {
        return new SwarmServiceSpec("hello", revision, "inst", "hello:1", 8080, env, null, null, 0,
                Duration.ofSeconds(10), List.of());
    }

    @Test
    void theNameIsCless_revisionAndPortIsAdded() {
        SwarmServiceSpec spec = spec("hello-00001", Map.of("A", "1"));

        assertThat(spec.name()).isEqualTo("cless-hello-00001");
        assertThat(spec.env()).containsExactlyInAnyOrderEntriesOf(Map.of("A", "1", "PORT", "8080"));
        assertThat(spec(("hello-00001"), Map.of("PORT", "8080")).env()).containsEntry("PORT", "8080");
    }

    @Test
    void aRevisionTooLongForSwarmIsNamedByItsStartAndAHashOfIt() {
        // Swarm: "name must be 63 characters or fewer". A service name may have 63 characters, its revision 69.
        String longest = "a".repeat(SwarmServiceSpec.MAX_NAME_LENGTH - "cless-".length());
        assertThat(SwarmServiceSpec.nameFor(longest)).isEqualTo("cless-" + longest);
        String service = "s".repeat(63);
        String first = SwarmServiceSpec.nameFor(service + "-00001");
        String second = SwarmServiceSpec.nameFor(service + "-00002");

        assertThat(first).hasSize(63).startsWith("cless-sss").matches("cless-s{46}-[0-9a-f]{10}");
        assertThat(second).hasSize(63).isNotEqualTo(first);
        assertThat(SwarmServiceSpec.nameFor(service + "-00001")).isEqualTo(first);
        assertThat(spec(service + "-00001", Map.of()).name()).isEqualTo(first);
        assertThat(spec(service + "-00001", Map.of()).labels()).containsEntry("cloud.cless.revision",
                service + "-00001");
    }

    @Test
    void aNameSwarmWouldRefuseIsRefusedSayingWhy() {
        // Swarm: "name must be valid as a DNS name component".
        assertThatThrownBy(() -> SwarmServiceSpec.nameFor("a.b"))
                .hasMessageContaining("is not a DNS label");
        assertThatThrownBy(() -> SwarmServiceSpec.nameFor("a-"))
                .hasMessageContaining("is not a DNS label");
    }

    @Test
    void aPortInTheEnvThatIsNotTheContainerPortIsRefused() {
        assertThatThrownBy(() -> spec("hello-00001", Map.of("PORT", "9090")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("env PORT=9090 of revision hello-00001 contradicts its container port 8080");
    }
}
