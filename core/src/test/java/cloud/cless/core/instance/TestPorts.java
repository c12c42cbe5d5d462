package cloud.cless.core.instance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import cloud.cless.core.port.HostPorts;
import cloud.cless.core.port.PortRange;
import cloud.cless.core.port.PortsExhaustedException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Host ports for tests: free ephemeral ports, with what is held tracked so tests can check it is given back. */
final class TestPorts implements HostPorts {
    final Set<Integer> held = ConcurrentHashMap.newKeySet();
    final Set<Integer> releasedWithoutHold = ConcurrentHashMap.newKeySet();
    final Set<Integer> conflicted = ConcurrentHashMap.newKeySet();
    volatile Set<Integer> engineHeld = Set.of();
    volatile boolean exhausted;

    @Override
    public int allocate() {
        if (exhausted) {
            throw new PortsExhaustedException(new PortRange(30000, 30001), 2);
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = socket.getLocalPort();
            held.add(port);
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void release(int port) {
        if (!held.remove(port)) {
            releasedWithoutHold.add(port);
        }
    }

    @Override
    public void markUsed(int port) {
        held.add(port);
    }

    @Override
    public void engineHolds(Set<Integer> ports) {
        engineHeld = Set.copyOf(ports);
    }

    @Override
    public void conflicted(int port) {
        conflicted.add(port);
    }
}
