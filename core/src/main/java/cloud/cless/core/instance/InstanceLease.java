package cloud.cless.core.instance;

import java.net.InetSocketAddress;

/**
 * One proxied connection's hold on an instance: where to connect, and the accounting that feeds idle reaping
 * and scaling. Not thread-safe beyond what its methods say; {@link #release()} is idempotent.
 */
public interface InstanceLease {

    /** Where the instance listens (127.0.0.1 and its host port, or the upstream's address). */
    InetSocketAddress address();

    /** Instance id for logs and the access log. */
    String instanceId();

    /** Records that bytes were relayed just now. Cheap; called from the event loop. */
    void touch();

    /**
     * The instance refused or reset the connection: it is likely gone. The manager checks it and replaces it
     * when needed. Not for a connect that timed out: that is an instance too busy to accept, not a gone one.
     */
    void connectFailed(Throwable cause);

    /** The connection closed: the instance has one open connection fewer. */
    void release();
}
