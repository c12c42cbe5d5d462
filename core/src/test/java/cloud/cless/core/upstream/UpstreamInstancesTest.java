package cloud.cless.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.UpstreamAddress;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpstreamInstancesTest {
    private final EventLoop loop = new EmbeddedChannel().eventLoop();
    private final UpstreamInstances upstreams = new UpstreamInstances(Runnable::run);

    private static ServiceDefinition upstream(String address) {
        return ServiceDefinition.builder("bench").upstream(address).host("bench.localhost").build();
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
    void aDefinitionSeenFirstByAnAcquireIsResolvedOffTheLoopThenLeased() throws Exception {
        ServiceDefinition def = upstream("localhost:9001");

        Future<InstanceLease> leased = upstreams.acquire(def, loop);

        assertThat(leased.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(leased.getNow().address().isUnresolved()).isFalse();
        assertThat(upstreams.acquire(def, loop).getNow()).as("known now: at once").isSameAs(leased.getNow());
    }

    @Test
    void aNewDefinitionOrADeleteRetiresTheLeasesOfThePreviousOne() {
        InstanceLease first = upstreams.defined(upstream("127.0.0.1:9001"));
        InstanceLease second = upstreams.defined(upstream("127.0.0.1:9002"));

        assertThat(first.retired()).isDone();
        assertThat(second.retired()).isNotDone();
        upstreams.removed("bench");
        assertThat(second.retired()).isDone();
    }
}
