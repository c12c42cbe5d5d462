package cloud.cless.core.instance;

import cloud.cless.core.service.ServiceDefinition;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Leases for upstream services: a fixed address, always ready, with nothing to account. */
final class UpstreamLeases {
    private final Map<String, InetSocketAddress> parsed = new ConcurrentHashMap<>();

    InstanceLease lease(ServiceDefinition service) {
        InetSocketAddress address = parsed.computeIfAbsent(service.upstream(), UpstreamLeases::parse);
        return new UpstreamLease(address);
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port}. IP literals become resolved addresses without a lookup;
     * names stay unresolved so that resolution happens where the connection is made.
     */
    static InetSocketAddress parse(String upstream) {
        int colon = upstream.lastIndexOf(':');
        if (colon <= 0 || colon == upstream.length() - 1) {
            throw new IllegalArgumentException("upstream '" + upstream + "' is not host:port");
        }
        String host = upstream.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(upstream.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("upstream '" + upstream + "' has no numeric port", e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("upstream '" + upstream + "' has port out of range");
        }
        boolean literal = host.indexOf(':') >= 0 || host.matches("[0-9.]+");
        return literal ? new InetSocketAddress(host, port) : InetSocketAddress.createUnresolved(host, port);
    }

    /** An upstream needs no accounting: it is not reaped, scaled or replaced. */
    private record UpstreamLease(InetSocketAddress address) implements InstanceLease {
        @Override
        public String instanceId() {
            return "upstream";
        }

        @Override
        public void touch() {
        }

        @Override
        public void connectFailed(Throwable cause) {
        }

        @Override
        public void release() {
        }
    }
}
