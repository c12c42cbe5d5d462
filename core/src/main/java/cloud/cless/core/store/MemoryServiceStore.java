package cloud.cless.core.store;

import cloud.cless.core.service.ServiceDefinition;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Keeps definitions in memory only ({@code --store memory}): gone when the process ends. */
public final class MemoryServiceStore implements ServiceStore {
    private final Map<String, ServiceDefinition> byName = new TreeMap<>();

    @Override
    public synchronized List<ServiceDefinition> list() {
        return List.copyOf(byName.values());
    }

    @Override
    public synchronized Optional<ServiceDefinition> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public synchronized void create(ServiceDefinition definition) {
        if (byName.containsKey(definition.name())) {
            throw new DuplicateServiceException("name", "a service named '" + definition.name() + "' exists");
        }
        checkHostFree(definition);
        byName.put(definition.name(), definition);
    }

    @Override
    public synchronized void update(ServiceDefinition definition) {
        if (!byName.containsKey(definition.name())) {
            throw new ServiceNotFoundException(definition.name());
        }
        checkHostFree(definition);
        byName.put(definition.name(), definition);
    }

    @Override
    public synchronized boolean delete(String name) {
        return byName.remove(name) != null;
    }

    @Override
    public void close() {
    }

    private void checkHostFree(ServiceDefinition definition) {
        for (ServiceDefinition other : byName.values()) {
            if (!other.name().equals(definition.name()) && other.host().equals(definition.host())) {
                throw new DuplicateServiceException("host",
                        "host '" + definition.host() + "' is used by service '" + other.name() + "'");
            }
        }
    }
}
