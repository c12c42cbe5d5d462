package cloud.cless.core.metrics;

import cloud.cless.core.instance.InstanceState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * cless's own metrics, on the {@link MeterRegistry} it is given: per-service meters ({@link #service}), per-revision
 * meters of the lifecycle ({@link #revision}) and of the requests ({@link #requests}), instances by state, and the
 * errors cless answers clients with. All names start with {@code cless.} (exposed as {@code cless_...} in
 * Prometheus) and carry a {@code service} tag; those of a revision a {@code revision} tag too. Thread-safe; one per
 * running cless.
 */
public final class ClessMetrics {
    /** The {@code service} tag of meters recorded before a service was known (e.g. a 404 or a 400). */
    public static final String NO_SERVICE = "";
    /** The {@code revision} tag of per-request meters recorded before a revision was known. */
    public static final String NO_REVISION = "";
    static final String SERVICE = "service";
    static final String REVISION = "revision";

    private final MeterRegistry registry;
    private final Map<String, ServiceMeters> services = new ConcurrentHashMap<>();
    private final Map<String, RevisionMeters> revisions = new ConcurrentHashMap<>();
    private final Map<String, RequestMeters> requests = new ConcurrentHashMap<>();
    /** Revisions whose instances-by-state gauges are published, to their service. */
    private final Map<String, String> trackedInstances = new ConcurrentHashMap<>();

    public ClessMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The meters of one service, made on first use. Resolve once per connection, not per read. */
    public ServiceMeters service(String name) {
        ServiceMeters meters = services.get(name);
        return meters != null ? meters : services.computeIfAbsent(name, n -> new ServiceMeters(registry, n));
    }

    /** The lifecycle's meters of one revision of {@code service}, made on first use. */
    public RevisionMeters revision(String service, String revision) {
        RevisionMeters meters = revisions.get(revision);
        return meters != null ? meters
                : revisions.computeIfAbsent(revision, r -> new RevisionMeters(registry, service, r));
    }

    /**
     * The per-request meters of one revision of {@code service} ({@link #NO_SERVICE} and {@link #NO_REVISION} for
     * requests no service took), made on first use. Resolve once per request at most, not per read.
     */
    public RequestMeters requests(String service, String revision) {
        RequestMeters meters = requests.get(revision);
        return meters != null ? meters
                : requests.computeIfAbsent(revision, r -> new RequestMeters(registry, service, r));
    }

    /**
     * Publishes {@code cless_instances{service,revision,state}}, one gauge per state, read from {@code count}
     * whenever the registry is scraped. Does nothing when the revision's instances are tracked already.
     */
    public void trackInstances(String service, String revision, ToIntFunction<InstanceState> count) {
        if (trackedInstances.putIfAbsent(revision, service) != null) {
            return;
        }
        for (InstanceState state : InstanceState.values()) {
            Gauge.builder("cless.instances", () -> count.applyAsInt(state))
                    .description("Instances of a revision by state")
                    .tags(SERVICE, service, REVISION, revision, "state", state.name().toLowerCase(Locale.ROOT))
                    .strongReference(true)
                    .register(registry);
        }
    }

    /**
     * Publishes {@code cless_engine_up} (1 while the container engine answers, 0 during an outage) and
     * {@code cless_containers_unremoved} (containers whose removal failed and is retried; their host ports stay
     * reserved meanwhile).
     */
    public void trackEngine(BooleanSupplier up, IntSupplier unremoved) {
        Gauge.builder("cless.engine.up", () -> up.getAsBoolean() ? 1 : 0)
                .description("1 while the container engine answers, 0 while it is unreachable or silent")
                .strongReference(true)
                .register(registry);
        Gauge.builder("cless.containers.unremoved", unremoved::getAsInt)
                .description("Containers whose removal failed and is retried; their host ports stay reserved")
                .strongReference(true)
                .register(registry);
    }

    /** The service was deleted: its series go away (a service created again under its name starts afresh). */
    public void serviceRemoved(String service) {
        trackedInstances.values().removeIf(service::equals);
        services.remove(service);
        revisions.values().removeIf(meters -> meters.service().equals(service));
        requests.values().removeIf(meters -> meters.service().equals(service));
        for (Meter meter : registry.getMeters()) {
            if (service.equals(meter.getId().getTag(SERVICE))) {
                registry.remove(meter);
            }
        }
    }

    /** The revision was deleted: its series go away (revision names are never given out again). */
    public void revisionRemoved(String revision) {
        trackedInstances.remove(revision);
        revisions.remove(revision);
        requests.remove(revision);
        for (Meter meter : registry.getMeters()) {
            if (revision.equals(meter.getId().getTag(REVISION))) {
                registry.remove(meter);
            }
        }
    }

    /**
     * cless answered a client with an error status ({@code cless_client_errors_total{service,status}}).
     *
     * @param service the routed service, or null when the connection had none yet
     */
    public void clientError(int status, String service) {
        Counter.builder("cless.client.errors")
                .description("Connections cless answered with an error status of its own")
                .tags(SERVICE, service == null ? NO_SERVICE : service, "status", Integer.toString(status))
                .register(registry)
                .increment();
    }
}
