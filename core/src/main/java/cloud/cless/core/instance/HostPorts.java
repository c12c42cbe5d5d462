package cloud.cless.core.instance;

/** The host ports containers are published on, as the instance manager needs them from the port allocator. */
public interface HostPorts {

    /** A free port, now reserved; throws an unchecked exception when the range is exhausted. */
    int allocate();

    /** Gives a port back once its container is gone. */
    void release(int port);

    /** Reserves a port found in use by an adopted container. */
    void markUsed(int port);
}
