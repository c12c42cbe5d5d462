package cloud.cless.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceState;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClessMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClessMetrics metrics = new ClessMetrics(registry);

    @Test
    void serviceMetersAreMadeOnceAndCount() {
        ServiceMeters hello = metrics.service("hello");
        assertThat(metrics.service("hello")).isSameAs(hello);

        hello.coldStarted(TimeUnit.MILLISECONDS.toNanos(250));
        hello.coldStartFailed("startup_timeout");
        hello.connectionOpened();
        hello.connectionOpened();
        hello.connectionClosed();
        hello.relayedUpstream(100);
        hello.relayedUpstream(23);
        hello.relayedDownstream(4096);
        hello.queued();
        hello.queueWaited(TimeUnit.MILLISECONDS.toNanos(40));
        hello.queueRejected("full");

        assertThat(counter("cless.cold.starts")).isEqualTo(1);
        Timer coldStarts = registry.get("cless.cold.start.duration").tag("service", "hello").timer();
        assertThat(coldStarts.count()).isEqualTo(1);
        assertThat(coldStarts.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(counter("cless.cold.start.failures", "reason", "startup_timeout")).isEqualTo(1);
        assertThat(registry.get("cless.connections.open").tag("service", "hello").gauge().value()).isEqualTo(1);
        assertThat(counter("cless.connections")).isEqualTo(2);
        assertThat(counter("cless.relayed", "direction", "upstream")).isEqualTo(123);
        assertThat(counter("cless.relayed", "direction", "downstream")).isEqualTo(4096);
        assertThat(counter("cless.queue.waits")).isEqualTo(1);
        assertThat(registry.get("cless.queue.wait.duration").tag("service", "hello").timer().count()).isEqualTo(1);
        assertThat(counter("cless.queue.rejections", "reason", "full")).isEqualTo(1);
    }

    @Test
    void coldStartHistogramHasBucketsFromTenMillisToAMinute() {
        metrics.service("hello").coldStarted(TimeUnit.SECONDS.toNanos(3));

        var buckets = registry.get("cless.cold.start.duration").timer().takeSnapshot().histogramCounts();
        assertThat(buckets).hasSizeGreaterThanOrEqualTo(10);
        assertThat(buckets[0].bucket(TimeUnit.MILLISECONDS)).isEqualTo(10);
        assertThat(buckets[buckets.length - 1].bucket(TimeUnit.SECONDS)).isEqualTo(60);
    }

    @Test
    void instancesByStateAreReadWhenScrapedAndGoWithTheService() {
        Map<InstanceState, Integer> counts = new java.util.EnumMap<>(InstanceState.class);
        counts.put(InstanceState.READY, 2);
        metrics.trackInstances("hello", state -> counts.getOrDefault(state, 0));
        metrics.trackInstances("hello", state -> 99); // already tracked: ignored

        assertThat(gauge("hello", "ready")).isEqualTo(2);
        assertThat(gauge("hello", "starting")).isZero();
        counts.put(InstanceState.STARTING, 1);
        assertThat(gauge("hello", "starting")).isEqualTo(1);

        metrics.service("hello").connectionOpened();
        metrics.clientError(502, "hello");
        metrics.serviceRemoved("hello");
        assertThat(registry.getMeters()).noneMatch(m -> "hello".equals(m.getId().getTag("service")));

        metrics.trackInstances("hello", state -> 5);
        assertThat(gauge("hello", "ready")).isEqualTo(5);
        assertThat(metrics.service("hello").service()).isEqualTo("hello");
    }

    @Test
    void clientErrorsAreCountedByStatusWithOrWithoutAService() {
        metrics.clientError(404, null);
        metrics.clientError(404, null);
        metrics.clientError(502, "hello");

        assertThat(registry.get("cless.client.errors").tags("service", "", "status", "404").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("cless.client.errors").tags("service", "hello", "status", "502").counter().count())
                .isEqualTo(1);
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tag("service", "hello").tags(tags).counter().count();
    }

    private double gauge(String service, String state) {
        return registry.get("cless.instances").tags("service", service, "state", state).gauge().value();
    }
}
