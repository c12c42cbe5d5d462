package cloud.cless.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.UpstreamAddress;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpstreamInstancesTest {
    private final EventLoop loop = new EmbeddedChannel().eventLoop();
    private final UpstreamInstances upstreams = new UpstreamInstances(Runnable::run);

    private static Revision upstream(int number, String address) {
        return Revision.of("bench", number, Instant.EPOCH, new RevisionSpec(null, null, address, null, null, null,
                null, null));
    }

    @Test
    void literalsAreTakenAsTheyAre() {
        assertThat(UpstreamInstances.resolve(UpstreamAddress.parse("[::1]:8080")))
                .isEqualTo(new InetSocketAddress("::1", 8080));
        assertThat(UpstreamInstances.resolve(UpstreamAddress.parse("127.0.0.1:9001")))
                .isEqualTo(new InetSocketAddress("127.0.0.1", 9001));
    }

    @Test
    void localhostIsResolvedToALoopbackAddress() {
        InetSocketAddress address = UpstreamInstances.resolve(UpstreamAddress.parse("localhost:80"));

        assertThat(address.isUnresolved()).isFalse();
        assertThat(address.getAddress().isLoopbackAddress()).isTrue();
        assertThat(address.getPort()).isEqualTo(80);
    }

    @Test
    void aRevisionSeenFirstByAnAcquireIsResolvedOffTheLoopThenLeased() throws Exception {
        Revision revision = upstream(1, "localhost:9001");

        Future<InstanceLease> leased = upstreams.acquire(revision, loop);

        assertThat(leased.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(leased.getNow().address().isUnresolved()).isFalse();
        assertThat(upstreams.acquire(revision, loop).getNow()).as("known now: at once").isSameAs(leased.getNow());
    }

    @Test
    void eachRevisionHasItsAddressAndItsLeasesRetireWhenItServesNoMoreOrTheServiceGoes() {
        InstanceLease first = upstreams.defined(upstream(1, "127.0.0.1:9001"));
        InstanceLease second = upstreams.defined(upstream(2, "127.0.0.1:9002"));
        assertThat(upstreams.defined(upstream(1, "127.0.0.1:9001"))).as("resolved once").isSameAs(first);
        assertThat(first.address().getPort()).isEqualTo(9001);
        assertThat(second.address().getPort()).isEqualTo(9002);

        upstreams.removed("bench-00001");
        assertThat(first.retired()).isDone();
        assertThat(second.retired()).isNotDone();
        upstreams.serviceRemoved("bench");
        assertThat(second.retired()).isDone();
    }
}
