package cloud.cless.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceState;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumMap;
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

        hello.connectionOpened();
        hello.connectionOpened();
        hello.connectionClosed();
        hello.relayedUpstream(100);
        hello.relayedUpstream(23);
        hello.relayedDownstream(4096);

        assertThat(registry.get("cless.connections.open").tag("service", "hello").gauge().value()).isEqualTo(1);
        assertThat(counter("cless.connections")).isEqualTo(2);
        assertThat(counter("cless.relayed", "direction", "upstream")).isEqualTo(123);
        assertThat(counter("cless.relayed", "direction", "downstream")).isEqualTo(4096);
    }

    @Test
    void revisionMetersAreMadeOnceAndCountWithTheServiceAndTheRevision() {
        RevisionMeters v1 = metrics.revision("hello", "hello-00001");
        assertThat(metrics.revision("hello", "hello-00001")).isSameAs(v1);

        v1.coldStarted(TimeUnit.MILLISECONDS.toNanos(250));
        v1.coldStartFailed("startup_timeout");
        v1.queued();
        v1.queueWaited(TimeUnit.MILLISECONDS.toNanos(40));
        v1.queueRejected("full");
        v1.abandoned();
        metrics.revision("hello", "hello-00002").coldStarted(TimeUnit.MILLISECONDS.toNanos(10));

        assertThat(counter("cless.cold.starts", "revision", "hello-00001")).isEqualTo(1);
        assertThat(counter("cless.cold.starts", "revision", "hello-00002")).isEqualTo(1);
        Timer coldStarts = registry.get("cless.cold.start.duration").tags("service", "hello", "revision",
                "hello-00001").timer();
        assertThat(coldStarts.count()).isEqualTo(1);
        assertThat(coldStarts.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(counter("cless.cold.start.failures", "revision", "hello-00001", "reason", "startup_timeout"))
                .isEqualTo(1);
        assertThat(counter("cless.queue.waits", "revision", "hello-00001")).isEqualTo(1);
        assertThat(registry.get("cless.queue.wait.duration").tag("revision", "hello-00001").timer().count())
                .isEqualTo(1);
        assertThat(counter("cless.queue.rejections", "revision", "hello-00001", "reason", "full")).isEqualTo(1);
        assertThat(counter("cless.requests.abandoned", "revision", "hello-00001")).isEqualTo(1);

        metrics.revisionRemoved("hello-00001");
        assertThat(registry.getMeters()).noneMatch(m -> "hello-00001".equals(m.getId().getTag("revision")));
        assertThat(counter("cless.cold.starts", "revision", "hello-00002")).isEqualTo(1);
        assertThat(metrics.revision("hello", "hello-00001")).as("made afresh").isNotSameAs(v1);
    }

    @Test
    void requestMetersArePerRevisionAndGoWithTheRevisionOrTheService() {
        RequestMeters v1 = metrics.requests("hello", "hello-00001");
        assertThat(metrics.requests("hello", "hello-00001")).isSameAs(v1);
        RequestMeters v2 = metrics.requests("hello", "hello-00002");

        v1.started();
        v1.answered(200, TimeUnit.MILLISECONDS.toNanos(3));
        v1.upstreamConnection(true);
        v2.started();
        v2.answered(503, TimeUnit.MILLISECONDS.toNanos(1));
        v2.ended();
        metrics.requests(ClessMetrics.NO_SERVICE, ClessMetrics.NO_REVISION).answered(404, 1_000);

        assertThat(counter("cless.requests", "revision", "hello-00001", "code", "2xx")).isEqualTo(1);
        assertThat(counter("cless.requests", "revision", "hello-00002", "code", "5xx")).isEqualTo(1);
        assertThat(registry.get("cless.requests").tags("service", "", "revision", "", "code", "4xx").counter()
                .count()).isEqualTo(1);
        assertThat(registry.get("cless.request.duration").tags("service", "hello", "revision", "hello-00001")
                .timer().count()).isEqualTo(1);
        assertThat(registry.get("cless.requests.in.flight").tags("service", "hello", "revision", "hello-00001")
                .gauge().value()).isEqualTo(1);
        assertThat(registry.get("cless.requests.in.flight").tags("service", "hello", "revision", "hello-00002")
                .gauge().value()).isZero();
        assertThat(counter("cless.upstream.connections", "revision", "hello-00001", "reused", "true")).isEqualTo(1);

        metrics.revisionRemoved("hello-00001");
        assertThat(registry.getMeters()).noneMatch(m -> "hello-00001".equals(m.getId().getTag("revision")));
        assertThat(metrics.requests("hello", "hello-00001")).as("made afresh").isNotSameAs(v1);
        metrics.serviceRemoved("hello");
        assertThat(registry.getMeters()).noneMatch(m -> "hello".equals(m.getId().getTag("service")));
        assertThat(metrics.requests("hello", "hello-00002")).as("made afresh").isNotSameAs(v2);
    }

    @Test
    void coldStartHistogramHasBucketsFromTenMillisToAMinute() {
        metrics.revision("hello", "hello-00001").coldStarted(TimeUnit.SECONDS.toNanos(3));

        var buckets = registry.get("cless.cold.start.duration").timer().takeSnapshot().histogramCounts();
        assertThat(buckets).hasSizeGreaterThanOrEqualTo(10);
        assertThat(buckets[0].bucket(TimeUnit.MILLISECONDS)).isEqualTo(10);
        assertThat(buckets[buckets.length - 1].bucket(TimeUnit.SECONDS)).isEqualTo(60);
    }

    @Test
    void instancesByStateAreReadWhenScrapedPerRevisionAndGoWithTheService() {
        Map<InstanceState, Integer> counts = new EnumMap<>(InstanceState.class);
        counts.put(InstanceState.READY, 2);
        metrics.trackInstances("hello", "hello-00001", state -> counts.getOrDefault(state, 0));
        metrics.trackInstances("hello", "hello-00001", state -> 99); // already tracked: ignored
        metrics.trackInstances("hello", "hello-00002", state -> state == InstanceState.DRAINING ? 1 : 0);

        assertThat(gauge("hello-00001", "ready")).isEqualTo(2);
        assertThat(gauge("hello-00001", "starting")).isZero();
        counts.put(InstanceState.STARTING, 1);
        assertThat(gauge("hello-00001", "starting")).isEqualTo(1);
        assertThat(gauge("hello-00002", "draining")).isEqualTo(1);

        metrics.service("hello").connectionOpened();
        metrics.revision("hello", "hello-00001").queued();
        metrics.clientError(502, "hello");
        metrics.serviceRemoved("hello");
        assertThat(registry.getMeters()).noneMatch(m -> "hello".equals(m.getId().getTag("service")));

        metrics.trackInstances("hello", "hello-00001", state -> 5);
        assertThat(gauge("hello-00001", "ready")).isEqualTo(5);
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

    private double gauge(String revision, String state) {
        return registry.get("cless.instances").tags("service", "hello", "revision", revision, "state", state).gauge()
                .value();
    }
}
