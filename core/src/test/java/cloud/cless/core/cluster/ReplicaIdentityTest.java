package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReplicaIdentityTest {

    @Test
    void newIdsAreValidUniqueAndNamedForTheHost() {
        String id = ReplicaIdentity.newId("Web-01.Example.COM");
        assertThat(id).matches("web-01\\.example\\.com-[0-9a-f]{8}");
        assertThat(ReplicaIdentity.newId("web")).isNotEqualTo(ReplicaIdentity.newId("web"));
        String odd = ReplicaIdentity.newId("__" + "x".repeat(80) + " ü");
        assertThat(odd.length()).isLessThanOrEqualTo(50);
        new ReplicaIdentity(odd, "h", "h:80", Instant.EPOCH);
        assertThat(ReplicaIdentity.newId("")).matches("[0-9a-f]{8}");
    }

    @Test
    void refusesIdsThatCannotNameASession() {
        assertThatThrownBy(() -> new ReplicaIdentity("a b", "h", "h:80", Instant.EPOCH))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplicaIdentity("x".repeat(51), "h", "h:80", Instant.EPOCH))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
