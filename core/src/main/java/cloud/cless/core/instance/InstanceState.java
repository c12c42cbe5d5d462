package cloud.cless.core.instance;

/** Where an instance is in its life. */
public enum InstanceState {
    /** The container is being created or started, or probed for readiness. */
    STARTING,
    /** Ready and accepting connections. */
    READY,
    /** Paused while idle; the next connection unpauses it. */
    PAUSED,
    /** Takes no new connections; removed once its open connections are done. */
    DRAINING,
    /** Being stopped and removed. */
    STOPPING
}
