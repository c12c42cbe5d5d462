package cloud.cless.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy's meters of one service (connections, relayed bytes), resolved once so that hot paths (the relay's read
 * loops) only increment fields. Made by {@link ClessMetrics#service}; what a revision's pool records is in
 * {@link RevisionMeters}.
 */
public final class ServiceMeters {
    private final String service;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Counter connections;
    private final Counter upstreamBytes;
    private final Counter downstreamBytes;

    ServiceMeters(MeterRegistry registry, String service) {
        this.service = service;
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
    }

    public String service() {
        return service;
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

    private static Counter relayed(MeterRegistry registry, String service, String direction) {
        return Counter.builder("cless.relayed")
                .description("Bytes relayed between clients and instances, by direction")
                .baseUnit("bytes")
                .tags(ClessMetrics.SERVICE, service, "direction", direction)
                .register(registry);
    }
}
