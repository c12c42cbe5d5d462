package cloud.cless.core.service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory view of the registered services by host and by name, read on the event loops without blocking.
 * Writes come from {@link ServiceRegistry} one at a time.
 */
public final class HostIndex {
    private final Map<String, ServiceDefinition> byHost = new ConcurrentHashMap<>();
    private final Map<String, ServiceDefinition> byName = new ConcurrentHashMap<>();

    /** The service serving {@code host} (already normalised: lower case, no port, no trailing dot), or null. */
    public ServiceDefinition byHost(String host) {
        return byHost.get(host);
    }

    public Optional<ServiceDefinition> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<ServiceDefinition> all() {
        List<ServiceDefinition> all = new ArrayList<>(byName.values());
        all.sort(Comparator.comparing(ServiceDefinition::name));
        return all;
    }

    void put(ServiceDefinition definition) {
        ServiceDefinition previous = byName.put(definition.name(), definition);
        if (previous != null && !previous.host().equals(definition.host())) {
            byHost.remove(previous.host(), previous);
        }
        byHost.put(definition.host(), definition);
    }

    void remove(ServiceDefinition definition) {
        byName.remove(definition.name());
        byHost.remove(definition.host());
    }
}
