package cloud.cless.core.instance;

/** Where an instance is in its life. */
public enum InstanceState {
    /** The container is being created or started, or probed for readiness. */
    STARTING,
    /** Ready and taking requests. */
    READY,
    /** Idle and being paused; a request that comes meanwhile waits for the pause to end, then for the unpause. */
    PAUSING,
    /** Paused while idle; the next request unpauses it. */
    PAUSED,
    /** Being unpaused for the requests waiting for it. */
    RESUMING,
    /** Takes no new requests; removed once its in-flight requests are done. */
    DRAINING,
    /** Being stopped and removed. */
    STOPPING
}
