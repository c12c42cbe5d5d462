package cloud.cless.core.runtime.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NodeDirectoryTest {
    private static final SwarmNode ONE = new SwarmNode("n1", "one", "10.0.0.1", "ready", "active", "manager", true);

    private final AtomicInteger reads = new AtomicInteger();

    /** A directory over a swarm of node ONE that counts its reads in {@link #reads}. */
    private NodeDirectory directory(Duration ttl) {
        return new NodeDirectory(() -> {
            reads.incrementAndGet();
            return List.of(ONE);
        }, ttl);
    }

    @Test
    void aKnownNodeIsServedFromTheListWithoutAnotherRead() {
        NodeDirectory nodes = directory(Duration.ofMinutes(1));

        assertThat(nodes.find("n1")).isEqualTo(ONE);
        assertThat(nodes.find("n1")).isEqualTo(ONE);
        assertThat(reads).hasValue(1);
    }

    @Test
    void anUnknownNodeCausesOneReadNotOnePerTask() {
        NodeDirectory nodes = directory(Duration.ofMinutes(1));

        assertThat(nodes.find("gone")).isNull();
        assertThat(nodes.find("gone")).isNull();
        assertThat(nodes.find("n1")).isEqualTo(ONE);
        assertThat(reads).hasValue(1);
    }

    @Test
    void aStaleListIsReadAgain() {
        NodeDirectory nodes = directory(Duration.ZERO);

        nodes.find("n1");
        nodes.find("n1");
        assertThat(reads).hasValue(2);
    }
}
