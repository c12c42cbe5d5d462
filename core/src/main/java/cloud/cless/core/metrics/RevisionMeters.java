package cloud.cless.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The lifecycle's meters of one revision's pool (cold starts, the wait queue), tagged with the service and the
 * revision, resolved once so that recording only increments fields. Made by {@link ClessMetrics#revision}.
 */
public final class RevisionMeters {
    /** Cold starts take from tens of milliseconds (a static binary) to a minute (a slow JVM). */
    private static final Duration[] COLD_START_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            30, 60);
    /** Queue waits end within the queue timeout, 30 s by default. */
    private static final Duration[] QUEUE_WAIT_BUCKETS = seconds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30);

    private final MeterRegistry registry;
    private final String service;
    private final String revision;
    private final Tags tags;
    private final Counter coldStarts;
    private final Timer coldStartDuration;
    private final Counter queueWaits;
    private final Counter abandoned;
    private final Timer queueWaitDuration;

    RevisionMeters(MeterRegistry registry, String service, String revision) {
        this.registry = registry;
        this.service = service;
        this.revision = revision;
        this.tags = Tags.of(ClessMetrics.SERVICE, service, ClessMetrics.REVISION, revision);
        this.coldStarts = Counter.builder("cless.cold.starts")
                .description("Containers started for a revision and found ready")
                .tags(tags)
                .register(registry);
        this.coldStartDuration = Timer.builder("cless.cold.start.duration")
                .description("Time from the start of a cold start until the container answered its readiness probe")
                .tags(tags)
                .serviceLevelObjectives(COLD_START_BUCKETS)
                .register(registry);
        this.queueWaits = Counter.builder("cless.queue.waits")
                .description("Requests that waited in a revision's queue for an instance")
                .tags(tags)
                .register(registry);
        this.abandoned = Counter.builder("cless.requests.abandoned")
                .description("Requests whose client left while they waited for an instance (in the queue or for a"
                        + " cold start); each gave its place up at once")
                .tags(tags)
                .register(registry);
        this.queueWaitDuration = Timer.builder("cless.queue.wait.duration")
                .description("Time requests waited in a revision's queue before they got an instance")
                .tags(tags)
                .serviceLevelObjectives(QUEUE_WAIT_BUCKETS)
                .register(registry);
    }

    public String service() {
        return service;
    }

    public String revision() {
        return revision;
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

    /** A request joined the queue of a revision at {@code max_instances}. */
    public void queued() {
        queueWaits.increment();
    }

    /** A queued request got an instance after {@code nanos}. */
    public void queueWaited(long nanos) {
        queueWaitDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A request's client left while it waited for an instance. */
    public void abandoned() {
        abandoned.increment();
    }

    /** A request was turned away by the queue: {@code full}, or {@code timeout} after waiting. */
    public void queueRejected(String reason) {
        countByReason("cless.queue.rejections", "Requests a revision's queue turned away (503), by reason", reason);
    }

    // Reasons are few and known only when they happen, so these counters are looked up (or made) on each event.
    private void countByReason(String name, String description, String reason) {
        Counter.builder(name)
                .description(description)
                .tags(tags)
                .tag("reason", reason)
                .register(registry)
                .increment();
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
