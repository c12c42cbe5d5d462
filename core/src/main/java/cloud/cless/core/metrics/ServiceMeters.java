package cloud.cless.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one service, resolved once so that hot paths (the relay's read loops) only increment fields.
 * Made by {@link ClessMetrics#service}.
 */
public final class ServiceMeters {
    /** Cold starts take from tens of milliseconds (a static binary) to a minute (a slow JVM). */
    private static final Duration[] COLD_START_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            30, 60);
    /** Queue waits end within the queue timeout, 30 s by default. */
    private static final Duration[] QUEUE_WAIT_BUCKETS = seconds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30);

    private final MeterRegistry registry;
    private final String service;
    private final Counter coldStarts;
    private final Timer coldStartDuration;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Counter connections;
    private final Counter upstreamBytes;
    private final Counter downstreamBytes;
    private final Counter queueWaits;
    private final Timer queueWaitDuration;

    ServiceMeters(MeterRegistry registry, String service) {
        this.registry = registry;
        this.service = service;
        this.coldStarts = Counter.builder("cless.cold.starts")
                .description("Containers started for a service and found ready")
                .tag(ClessMetrics.SERVICE, service)
                .register(registry);
        this.coldStartDuration = Timer.builder("cless.cold.start.duration")
                .description("Time from the start of a cold start until the container answered its readiness probe")
                .tag(ClessMetrics.SERVICE, service)
                .serviceLevelObjectives(COLD_START_BUCKETS)
                .register(registry);
        Gauge.builder("cless.connections.open", openConnections, AtomicInteger::get)
                .description("Proxied client connections routed to a service and not yet closed")
                .tag(ClessMetrics.SERVICE, service)
                .strongReference(true)
                .register(registry);
        this.connections = Counter.builder("cless.connections")
                .description("Proxied client connections routed to a service")
                .tag(ClessMetrics.SERVICE, service)
                .register(registry);
        this.upstreamBytes = relayed(registry, service, "upstream");
        this.downstreamBytes = relayed(registry, service, "downstream");
        this.queueWaits = Counter.builder("cless.queue.waits")
                .description("Connections that waited in the service's queue for an instance")
                .tag(ClessMetrics.SERVICE, service)
                .register(registry);
        this.queueWaitDuration = Timer.builder("cless.queue.wait.duration")
                .description("Time connections waited in the service's queue before they got an instance")
                .tag(ClessMetrics.SERVICE, service)
                .serviceLevelObjectives(QUEUE_WAIT_BUCKETS)
                .register(registry);
    }

    public String service() {
        return service;
    }

    /** A cold start ended with a ready container after {@code nanos}. */
    public void coldStarted(long nanos) {
        coldStarts.increment();
        coldStartDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A cold start failed; {@code reason} is a short lower-case word such as {@code start_failed}. */
    public void coldStartFailed(String reason) {
        countByReason("cless.cold.start.failures", "Cold starts that failed, by reason", reason);
    }

    /** A client connection was routed to this service. Pair with {@link #connectionClosed()}. */
    public void connectionOpened() {
        connections.increment();
        openConnections.incrementAndGet();
    }

    public void connectionClosed() {
        openConnections.decrementAndGet();
    }

    /** Bytes relayed from the client to the instance. Called once per read loop. */
    public void relayedUpstream(long bytes) {
        upstreamBytes.increment(bytes);
    }

    /** Bytes relayed from the instance to the client. Called once per read loop. */
    public void relayedDownstream(long bytes) {
        downstreamBytes.increment(bytes);
    }

    /** A connection joined the queue of a service at {@code max_instances}. */
    public void queued() {
        queueWaits.increment();
    }

    /** A queued connection got an instance after {@code nanos}. */
    public void queueWaited(long nanos) {
        queueWaitDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A connection was turned away by the queue: {@code full}, or {@code timeout} after waiting. */
    public void queueRejected(String reason) {
        countByReason("cless.queue.rejections", "Connections the service's queue turned away (503), by reason", reason);
    }

    // Reasons are few and known only when they happen, so these counters are looked up (or made) on each event.
    private void countByReason(String name, String description, String reason) {
        Counter.builder(name)
                .description(description)
                .tags(ClessMetrics.SERVICE, service, "reason", reason)
                .register(registry)
                .increment();
    }

    private static Counter relayed(MeterRegistry registry, String service, String direction) {
        return Counter.builder("cless.relayed")
                .description("Bytes relayed between clients and instances, by direction")
                .baseUnit("bytes")
                .tags(ClessMetrics.SERVICE, service, "direction", direction)
                .register(registry);
    }

    /** Histogram buckets from values in seconds. */
    static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return durations;
    }
}
