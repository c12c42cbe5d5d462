package cloud.cless.core.metrics;

import cloud.cless.core.instance.InstanceState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * cless's own metrics, on the {@link MeterRegistry} it is given: per-service meters ({@link #service}), instances
 * by state, and the errors cless answers clients with. All names start with {@code cless.} (exposed as
 * {@code cless_...} in Prometheus) and carry a {@code service} tag. Thread-safe; one per running cless.
 */
public final class ClessMetrics {
    /** The {@code service} tag of meters recorded before a service was known (e.g. a 404 or a 400). */
    public static final String NO_SERVICE = "";
    static final String SERVICE = "service";

    private final MeterRegistry registry;
    private final Map<String, ServiceMeters> services = new ConcurrentHashMap<>();
    private final Map<String, RequestMeters> requests = new ConcurrentHashMap<>();
    private final Set<String> trackedInstances = ConcurrentHashMap.newKeySet();

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

    /**
     * The per-request meters of one service ({@link #NO_SERVICE} for requests no service took), made on first use.
     * Resolve once per request at most, not per read.
     */
    public RequestMeters requests(String service) {
        RequestMeters meters = requests.get(service);
        return meters != null ? meters : requests.computeIfAbsent(service, n -> new RequestMeters(registry, n));
    }

    /**
     * Publishes {@code cless_instances{service,state}}, one gauge per state, read from {@code count} whenever the
     * registry is scraped. Does nothing when the service's instances are tracked already.
     */
    public void trackInstances(String service, ToIntFunction<InstanceState> count) {
        if (!trackedInstances.add(service)) {
            return;
        }
        for (InstanceState state : InstanceState.values()) {
            Gauge.builder("cless.instances", () -> count.applyAsInt(state))
                    .description("Instances of a service by state")
                    .tags(SERVICE, service, "state", state.name().toLowerCase(Locale.ROOT))
                    .strongReference(true)
                    .register(registry);
        }
    }

    /** The service was deleted: its series go away (a service created again under its name starts afresh). */
    public void serviceRemoved(String service) {
        trackedInstances.remove(service);
        services.remove(service);
        requests.remove(service);
        for (Meter meter : registry.getMeters()) {
            if (service.equals(meter.getId().getTag(SERVICE))) {
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
