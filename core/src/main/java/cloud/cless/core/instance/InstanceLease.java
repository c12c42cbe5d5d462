package cloud.cless.core.instance;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One request's hold on an instance (an upgraded tunnel counts as one long request): where to connect, and the
 * accounting that feeds idle reaping and scaling. Not thread-safe beyond what its methods say;
 * {@link #release()} is idempotent.
 */
public interface InstanceLease {

    /** Where the instance listens (127.0.0.1 and its host port, or the upstream's address). */
    InetSocketAddress address();

    /** Instance id for logs and the access log. */
    String instanceId();

    /**
     * The revision the instance runs ({@code hello-00002}), for the access log and the metrics: the one that serves
     * the request, which is not the one routing chose when the traffic moved while the request waited.
     */
    String revision();

    /**
     * Completes once the instance takes no new leases (reaped, paused, drained, removed, or, for an upstream, its
     * definition changed): connections kept idle to {@link #address()} must then be closed. The same stage for
     * every lease on the instance while it stays in service; it may complete on any thread.
     */
    default CompletionStage<Void> retired() {
        return new CompletableFuture<>();
    }

    /**
     * How long this request waited for a cold start (or a resume) of its instance before the lease was granted, in
     * milliseconds; -1 when it was served by an instance that was already up.
     */
    default long coldStartWaitMillis() {
        return -1;
    }

    /** Records that bytes were relayed just now. Cheap; called from the event loop. */
    void touch();

    /**
     * The instance refused or reset the connection: it is likely gone. The manager checks it and replaces it
     * when needed. Not for a connect that timed out: that is an instance too busy to accept, not a gone one.
     */
    void connectFailed(Throwable cause);

    /** The request (or tunnel) ended: the instance has one in-flight request fewer. */
    void release();
}
