package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RevisionTest {

    @Test
    void namesArePaddedToFiveDigits() {
        assertThat(Revision.name("hello", 1)).isEqualTo("hello-00001");
        assertThat(Revision.name("hello", 42)).isEqualTo("hello-00042");
        assertThat(Revision.name("hello", 99_999)).isEqualTo("hello-99999");
        assertThat(Revision.name("hello", 100_000)).isEqualTo("hello-100000");
        assertThat(Revision.name("a-b", 7)).isEqualTo("a-b-00007");
    }

    @Test
    void aRevisionsNameMustMatchItsNumber() {
        RevisionSpec spec = RevisionSpec.of(Revisions.hello("v1"));
        assertThat(Revision.of("hello", 3, Revisions.T0, spec).name()).isEqualTo("hello-00003");
        assertThatThrownBy(() -> new Revision("hello", 3, "hello-00004", Revisions.T0, spec))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Revision.of("hello", 0, Revisions.T0, spec))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSpecIsWhatAContainerRuns() {
        ServiceDefinition def = Revisions.hello("v1").toBuilder().port(9000).env(Map.of("A", "1"))
                .readinessPath("/ready").memoryMb(64).cpus(0.5).minInstances(2).build();
        RevisionSpec spec = RevisionSpec.of(def);
        assertThat(spec).isEqualTo(new RevisionSpec("cless-test/hello", "v1", null, 9000, Map.of("A", "1"),
                "/ready", 64, 0.5));
        assertThat(spec.imageReference()).isEqualTo("cless-test/hello:v1");
        assertThat(spec.isUpstream()).isFalse();
    }

    @Test
    void appliedToTheServiceItRunsItsOwnContainerWithTheServicesScaling() {
        ServiceDefinition v1 = Revisions.hello("v1").toBuilder().env(Map.of("V", "1")).build();
        Revision first = Revisions.revision(v1, 1);
        ServiceDefinition now = Revisions.hello("v2").toBuilder().maxInstances(5).host("h.example.com")
                .traffic(TrafficTarget.DEFAULT).build();
        ServiceDefinition applied = first.applyTo(now);
        assertThat(applied.imageTag()).isEqualTo("v1");
        assertThat(applied.env()).containsExactly(Map.entry("V", "1"));
        assertThat(applied.maxInstances()).isEqualTo(5);
        assertThat(applied.host()).isEqualTo("h.example.com");
        assertThatThrownBy(() -> first.applyTo(now.toBuilder().name("other").build()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
