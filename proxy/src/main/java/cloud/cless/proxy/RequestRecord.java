package cloud.cless.proxy;

import java.util.concurrent.TimeUnit;

/**
 * What one request did, for its access log line and its metrics: who asked for which host, where it went (service,
 * revision, instance), the
 * status, the bytes each way, how long it took (and how much of that upstream), and how it ended. One per client
 * connection, reused for each of its requests in turn, and written once when each ends; used on the connection's
 * event loop only.
 */
final class RequestRecord {
    static final String OK = "ok";
    /** cless answered with its own error (the status says which). */
    static final String ERROR = "error";
    /** The client left before the response was complete. */
    static final String ABORTED = "aborted";
    /** The app's connection failed after its response had begun; the client connection was closed. */
    static final String UPSTREAM_FAILED = "upstream_failed";
    /** Answered 101: the connection became a tunnel, now closed. */
    static final String UPGRADED = "upgraded";

    private final ConnectionMeters meters;
    private boolean open;
    long startNanos;
    String host;
    String service;
    /** The revision routing chose, then the one whose instance served (they differ when the traffic moved). */
    String revision;
    String instance;
    String method;
    String path;
    int status;
    long in;
    long out;
    long upstreamStartNanos;
    long upstreamEndNanos;
    boolean cold;
    String outcome;

    RequestRecord(ConnectionMeters meters) {
        this.meters = meters;
    }

    /** A new request, whose head {@code head} (at {@code bytes}' reader index) began at {@code startNanos}. */
    void start(long startNanos, cloud.cless.proxy.http1.RequestHead head, io.netty.buffer.ByteBuf bytes) {
        start(startNanos);
        method = head.method();
        host = head.host();
        in = head.length();
        if (AccessLog.enabled()) {
            path = head.path(bytes, bytes.readerIndex());
        }
    }

    void start(long startNanos) {
        this.open = true;
        this.startNanos = startNanos;
        host = null;
        service = null;
        revision = null;
        instance = null;
        method = null;
        path = null;
        status = 0;
        in = 0;
        out = 0;
        upstreamStartNanos = 0;
        upstreamEndNanos = 0;
        cold = false;
        outcome = null;
    }

    boolean open() {
        return open;
    }

    /**
     * The request went to {@code revision} of {@code service}: the connection counts as one of the service's, the
     * request as in flight on the revision.
     */
    void routed(String service, String revision) {
        this.service = service;
        this.revision = revision;
        meters.routed(service, revision);
    }

    /** An instance of {@code revision} took the request. */
    void served(String revision, String instance) {
        this.revision = revision;
        this.instance = instance;
    }

    /** The instance that served, for messages: {@code service hello (revision hello-00002) instance 3f2a9c1e}. */
    String upstream() {
        return "service " + service + " (revision " + revision + ") instance " + instance;
    }

    /** The meters of the request's revision (of no service, before routing). */
    cloud.cless.core.metrics.RequestMeters requestMeters() {
        return meters.requests(service, revision);
    }

    /** The request ended: counted, and written to the access log; once. */
    void finish(java.net.SocketAddress client) {
        finish(client, System.nanoTime());
    }

    void finish(java.net.SocketAddress client, long nowNanos) {
        if (open) {
            open = false;
            meters.answered(this, nowNanos);
            AccessLog.write(client, this, nowNanos);
        }
    }

    /** The request is not one to record (the admin API's). */
    void forget() {
        open = false;
    }

    /** Sets how the request ended, unless an earlier, more specific outcome was set. */
    void ended(String outcome) {
        if (this.outcome == null) {
            this.outcome = outcome;
        }
    }

    long elapsedNanos(long now) {
        return now - startNanos;
    }

    /** Milliseconds spent from handing the request to the instance until its response ended; -1 if never. */
    long upstreamMillis(long now) {
        if (upstreamStartNanos == 0) {
            return -1;
        }
        return TimeUnit.NANOSECONDS.toMillis((upstreamEndNanos == 0 ? now : upstreamEndNanos) - upstreamStartNanos);
    }
}
