package cloud.cless.proxy;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.metrics.RequestMeters;
import cloud.cless.core.metrics.ServiceMeters;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics one client connection feeds: each service it carried a request for counts it once among its
 * connections (open until it closes); each request is counted by status and duration, with its bytes. The meters
 * of the service last used are kept at hand, since a connection usually talks to one service.
 */
final class ConnectionMeters {
    private final ClessMetrics metrics;
    private final List<ServiceMeters> counted = new ArrayList<>(1);
    private String lastService;
    private ServiceMeters lastServiceMeters;
    private RequestMeters lastRequestMeters;
    private boolean closed;

    ConnectionMeters(ClessMetrics metrics) {
        this.metrics = metrics;
    }

    /** A request was routed to {@code service}: it is in flight until {@link #answered}. */
    void routed(String service) {
        resolve(service);
        if (!counted.contains(lastServiceMeters) && !closed) {
            counted.add(lastServiceMeters);
            lastServiceMeters.connectionOpened();
        }
        lastRequestMeters.started();
    }

    RequestMeters requests(String service) {
        resolve(service);
        return lastRequestMeters;
    }

    /** The request of {@code record} ended at {@code now}. */
    void answered(RequestRecord record, long now) {
        resolve(record.service);
        if (record.service != null) {
            lastRequestMeters.ended();
            lastServiceMeters.relayedUpstream(record.in);
            lastServiceMeters.relayedDownstream(record.out);
        }
        lastRequestMeters.answered(record.status, record.elapsedNanos(now));
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

    private void resolve(String service) {
        String name = service == null ? ClessMetrics.NO_SERVICE : service;
        if (lastService != name) {
            lastService = name;
            lastRequestMeters = metrics.requests(name);
            lastServiceMeters = service == null ? null : metrics.service(name);
        }
    }
}
