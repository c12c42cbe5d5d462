package cloud.cless.core.instance;

import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.UpstreamAddress;
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
     * The address of an upstream the validator accepted. IP literals are used as they are; {@code localhost}, the
     * one name accepted, stays unresolved so it is resolved where the connection is made.
     */
    static InetSocketAddress parse(String upstream) {
        UpstreamAddress address = UpstreamAddress.parse(upstream);
        return "localhost".equals(address.host())
                ? InetSocketAddress.createUnresolved(address.host(), address.port())
                : address.toSocketAddress();
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
