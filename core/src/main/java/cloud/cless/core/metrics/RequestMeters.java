package cloud.cless.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The per-request meters of one revision of a service, resolved once so that the request path only increments
 * fields: {@code cless_requests_total{code}} by status class, {@code cless_request_duration_seconds}, in-flight
 * requests, and upstream connections by whether a pooled one was reused; each tagged with the service and the
 * revision. Made by {@link ClessMetrics#requests}.
 */
public final class RequestMeters {
    /** From a cached response on loopback to a minute-long cold start or upload. */
    private static final Duration[] DURATION_BUCKETS = RevisionMeters.seconds(0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);

    private final String service;
    private final String revision;
    private final Counter[] byClass = new Counter[6];
    private final Timer duration;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter upstreamNew;
    private final Counter upstreamReused;

    RequestMeters(MeterRegistry registry, String service, String revision) {
        this.service = service;
        this.revision = revision;
        Tags tags = Tags.of(ClessMetrics.SERVICE, service, ClessMetrics.REVISION, revision);
        for (int c = 1; c <= 5; c++) {
            byClass[c] = Counter.builder("cless.requests")
                    .description("Requests answered, by status class")
                    .tags(tags)
                    .tag("code", c + "xx")
                    .register(registry);
        }
        this.duration = Timer.builder("cless.request.duration")
                .description("Time from a request's first byte until the last byte of its response")
                .tags(tags)
                .serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry);
        Gauge.builder("cless.requests.in.flight", inFlight, AtomicInteger::get)
                .description("Requests routed to a revision and not yet answered (an upgraded tunnel counts)")
                .tags(tags)
                .strongReference(true)
                .register(registry);
        this.upstreamNew = upstream(registry, tags, "false");
        this.upstreamReused = upstream(registry, tags, "true");
    }

    public String service() {
        return service;
    }

    public String revision() {
        return revision;
    }

    /** A request was routed to the revision. Pair with {@link #ended()} on these same meters. */
    public void started() {
        inFlight.incrementAndGet();
    }

    public void ended() {
        inFlight.decrementAndGet();
    }

    /** A request was answered with {@code status} after {@code nanos}. */
    public void answered(int status, long nanos) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            byClass[c].increment();
        }
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A request went upstream over a connection that was opened for it, or reused from the pool. */
    public void upstreamConnection(boolean reused) {
        (reused ? upstreamReused : upstreamNew).increment();
    }

    private static Counter upstream(MeterRegistry registry, Tags tags, String reused) {
        return Counter.builder("cless.upstream.connections")
                .description("Upstream connections requests went over: opened for them, or reused from the pool")
                .tags(tags)
                .tag("reused", reused)
                .register(registry);
    }
}
