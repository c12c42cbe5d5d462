package cloud.cless.core.port;

import java.util.Set;

/** The host ports containers are published on, as the instance lifecycle needs them from the port allocator. */
public interface HostPorts {

    /**
     * A free port, now reserved; throws {@link PortsExhaustedException} when there is none. May block briefly
     * (it checks candidates with the kernel): not for an event loop.
     */
    int allocate();

    /** Gives a port back once its container is surely gone. */
    void release(int port);

    /** Reserves a port found in use by an adopted container. */
    void markUsed(int port);

    /**
     * What the engine reported holding, from its latest listing (every container's, cless's or not): none of these
     * is handed out, and a port found {@link #conflicted} stays out until a listing no longer has it.
     */
    void engineHolds(Set<Integer> ports);

    /** The engine refused to publish {@code port}: something else holds it, though the checks found it free. */
    void conflicted(int port);
}
