package cloud.cless.proxy;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.metrics.RequestMeters;
import cloud.cless.core.metrics.ServiceMeters;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics one client connection feeds: each service it carried a request for counts it once among its
 * connections (open until it closes); each request is counted in flight on the revision it was routed to, then by
 * status and duration on the revision that served it, with its bytes on the service. The meters last used are kept
 * at hand, since a connection usually talks to one revision.
 */
final class ConnectionMeters {
    private final ClessMetrics metrics;
    private final List<ServiceMeters> counted = new ArrayList<>(1);
    private String lastService;
    private ServiceMeters lastServiceMeters;
    private String lastRevision;
    private RequestMeters lastRequestMeters;
    /** The meters the request in flight was counted on, to end it there whichever revision served it. */
    private RequestMeters inFlight;
    private boolean closed;

    ConnectionMeters(ClessMetrics metrics) {
        this.metrics = metrics;
    }

    /** A request was routed to {@code revision} of {@code service}: it is in flight until {@link #answered}. */
    void routed(String service, String revision) {
        ServiceMeters serviceMeters = service(service);
        if (!counted.contains(serviceMeters) && !closed) {
            counted.add(serviceMeters);
            serviceMeters.connectionOpened();
        }
        inFlight = requests(service, revision);
        inFlight.started();
    }

    /** The meters of {@code revision} of {@code service}; of no service when {@code service} is null. */
    RequestMeters requests(String service, String revision) {
        String name = revision == null || service == null ? ClessMetrics.NO_REVISION : revision;
        if (!name.equals(lastRevision)) {
            lastRevision = name;
            lastRequestMeters = metrics.requests(service == null ? ClessMetrics.NO_SERVICE : service, name);
        }
        return lastRequestMeters;
    }

    /** The request of {@code record} ended at {@code now}. */
    void answered(RequestRecord record, long now) {
        if (inFlight != null) {
            inFlight.ended();
            inFlight = null;
        }
        if (record.service != null) {
            ServiceMeters serviceMeters = service(record.service);
            serviceMeters.relayedUpstream(record.in);
            serviceMeters.relayedDownstream(record.out);
        }
        requests(record.service, record.revision).answered(record.status, record.elapsedNanos(now));
    }

    /** The connection closed: it leaves the open connections of every service it was counted for. */
    void closed() {
        if (closed) {
            return;
        }
        closed = true;
        for (ServiceMeters meters : counted) {
            meters.connectionClosed();
        }
        counted.clear();
    }

    private ServiceMeters service(String service) {
        if (!service.equals(lastService)) {
            lastService = service;
            lastServiceMeters = metrics.service(service);
        }
        return lastServiceMeters;
    }
}
