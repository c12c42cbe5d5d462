package cloud.cless.proxy;

import java.util.concurrent.TimeUnit;

/**
 * What one request did, for its access log line and its metrics: who asked for which host, where it went, the
 * status, the bytes each way, how long it took (and how much of that upstream), and how it ended. One per client
 * connection, reused for each of its requests in turn; used on the connection's event loop only.
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

    long startNanos;
    String host;
    String service;
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

    void start(long startNanos) {
        this.startNanos = startNanos;
        host = null;
        service = null;
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
