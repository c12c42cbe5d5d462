package cloud.cless.core.port;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out host ports for containers from a {@link PortRange}. A port stays handed out until {@link #release}
 * returns it, which the lifecycle does only once its container is surely removed. A port is skipped when the
 * engine reported holding it (published by any container, or bound by a created one that will take it when it
 * starts), when a start found it taken, or when a bind check finds another process on it. Thread-safe.
 *
 * <p>Candidates are tried round-robin from after the last port handed out, so a port just released is not
 * reused at once (its old connections may linger in TIME_WAIT).
 */
public final class PortAllocator implements HostPorts {
    private static final Logger log = LoggerFactory.getLogger(PortAllocator.class);

    // Containers are published on 127.0.0.1 only (never ::1), so that is the address to test.
    private static final InetAddress LOOPBACK_V4 = InetAddress.getLoopbackAddress() instanceof Inet4Address v4
            ? v4 : loopbackV4();

    private final PortRange range;
    private final IntPredicate isFree;
    private final Set<Integer> used = new HashSet<>();
    private Set<Integer> engineHeld = Set.of();
    private final Set<Integer> conflicted = new HashSet<>();
    private int next;

    /** Checks each candidate by binding it on 127.0.0.1, where containers are published. */
    public PortAllocator(PortRange range) {
        this(range, PortAllocator::canBindLoopback);
    }

    /** @param isFree tells whether nothing else on this machine holds a port */
    PortAllocator(PortRange range, IntPredicate isFree) {
        this.range = range;
        this.isFree = isFree;
        this.next = range.first();
    }

    public PortRange range() {
        return range;
    }

    /** A port that is free now and not handed out; {@link PortsExhaustedException} when there is none. */
    @Override
    public synchronized int allocate() {
        for (int tried = 0; tried < range.size(); tried++) {
            int candidate = next;
            next = candidate == range.last() ? range.first() : candidate + 1;
            if (used.contains(candidate) || engineHeld.contains(candidate) || conflicted.contains(candidate)) {
                continue;
            }
            if (!isFree.test(candidate)) {
                log.debug("Port {} is held by another process; skipping it", candidate);
                continue;
            }
            used.add(candidate);
            return candidate;
        }
        throw new PortsExhaustedException(range, used.size());
    }

    /** Records a port already in use by a container cless adopted, so it is not handed out again. */
    @Override
    public synchronized void markUsed(int port) {
        used.add(port);
    }

    /** Returns a port once its container is removed; releasing a port that is not handed out does nothing. */
    @Override
    public synchronized void release(int port) {
        used.remove(port);
    }

    @Override
    public synchronized void engineHolds(Set<Integer> ports) {
        engineHeld = Set.copyOf(ports);
        conflicted.retainAll(engineHeld);
    }

    @Override
    public synchronized void conflicted(int port) {
        if (range.contains(port)) {
            log.info("Port {} turned out to be taken on the engine; not handing it out until it is free", port);
            conflicted.add(port);
        }
    }

    /** True while {@code port} is handed out or marked used. */
    public synchronized boolean isUsed(int port) {
        return used.contains(port);
    }

    /** How many ports are handed out or marked used. */
    public synchronized int usedCount() {
        return used.size();
    }

    static boolean canBindLoopback(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(LOOPBACK_V4, port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static InetAddress loopbackV4() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4-byte address is always valid", e);
        }
    }
}
