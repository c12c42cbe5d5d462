package cloud.cless.core.service;

import cloud.cless.core.store.DuplicateServiceException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The hosts a service is reached at, its own and each tag's ({@code <tag>--<host>}), and the refusal of a service
 * that would take a host another service holds. Stores enforce it where every writer is seen.
 */
public final class HostClaims {

    private HostClaims() {
    }

    /** Every host that leads to {@code service}, its own first: host to the tag it is the host of, null for its own. */
    public static Map<String, String> of(RegisteredService service) {
        Map<String, String> hosts = new LinkedHashMap<>();
        String host = service.definition().host();
        hosts.put(host, null);
        service.traffic().tags().keySet().forEach(tag -> hosts.put(TagHost.of(tag, host), tag));
        return hosts;
    }

    /**
     * Refuses {@code service} when one of its hosts leads to another service.
     *
     * @param ownerOf the name of the service a host leads to now, or null when none
     * @throws DuplicateServiceException naming the field that asked for the host: {@code host}, or
     *     {@code traffic[<entry>].tag}
     */
    public static void check(RegisteredService service, Function<String, String> ownerOf) {
        of(service).forEach((host, tag) -> {
            String owner = ownerOf.apply(host);
            if (owner == null || owner.equals(service.name())) {
                return;
            }
            if (tag == null) {
                throw new DuplicateServiceException("host", "host '" + host + "' is used by service '" + owner + "'");
            }
            List<TrafficTarget> traffic = service.definition().traffic();
            int entry = 0;
            while (entry < traffic.size() && !tag.equals(traffic.get(entry).tag())) {
                entry++;
            }
            throw new DuplicateServiceException("traffic[" + entry + "].tag", "tag '" + tag + "' would be"
                    + " reached at '" + host + "', which is a host of service '" + owner + "'");
        });
    }
}
