package cloud.cless.core.service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory view of the registered services by host and by name, read on the event loops without blocking. Every
 * host a request may carry is a key: each service's own host and the host of each of its tags, so a lookup is one
 * map read with the host as the request gave it. Writes come from {@link ServiceRegistry} one at a time.
 */
public final class HostIndex {
    private final Map<String, Route> byHost = new ConcurrentHashMap<>();
    private final Map<String, RegisteredService> byName = new ConcurrentHashMap<>();

    /** Where {@code host} (already normalised: lower case, no port, no trailing dot) leads, or null. */
    public Route route(String host) {
        return byHost.get(host);
    }

    /** The service whose own host is {@code host}, or null (a tag's host is not the service's own). */
    public ServiceDefinition byHost(String host) {
        Route route = byHost.get(host);
        return route == null || route.tagged() ? null : route.service();
    }

    public Optional<ServiceDefinition> byName(String name) {
        RegisteredService service = byName.get(name);
        return service == null ? Optional.empty() : Optional.of(service.definition());
    }

    public Optional<RegisteredService> service(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<ServiceDefinition> all() {
        List<ServiceDefinition> all = new ArrayList<>(byName.size());
        byName.values().forEach(s -> all.add(s.definition()));
        all.sort(Comparator.comparing(ServiceDefinition::name));
        return all;
    }

    /** Every service, sorted by name. */
    public List<RegisteredService> services() {
        List<RegisteredService> all = new ArrayList<>(byName.values());
        all.sort(Comparator.comparing(RegisteredService::name));
        return all;
    }

    void put(RegisteredService service) {
        RegisteredService previous = byName.put(service.name(), service);
        // New routes first: a host that stays never misses; hosts that went are removed after.
        Map<String, Route> routes = routes(service);
        byHost.putAll(routes);
        if (previous != null) {
            for (String host : routes(previous).keySet()) {
                if (!routes.containsKey(host)) {
                    release(host, service.name());
                }
            }
        }
    }

    void remove(RegisteredService service) {
        byName.remove(service.name(), service);
        routes(service).keySet().forEach(host -> release(host, service.name()));
    }

    /**
     * Drops {@code host} unless another service has it by now: changes seen in the shared store may come in
     * another order than they were made (the service that took a host before the one that gave it up).
     */
    private void release(String host, String service) {
        byHost.computeIfPresent(host, (h, route) -> route.service().name().equals(service) ? null : route);
    }

    /** Every host of {@code service} with its route. */
    static Map<String, Route> routes(RegisteredService service) {
        Map<String, Route> routes = new LinkedHashMap<>();
        HostClaims.of(service).forEach((host, tag) -> routes.put(host, tag == null ? Route.of(service)
                : Route.tagged(service, tag, service.traffic().tags().get(tag))));
        return routes;
    }
}
