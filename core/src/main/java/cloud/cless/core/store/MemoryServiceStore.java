package cloud.cless.core.store;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Keeps services in memory only ({@code --store memory}): gone when the process ends. */
public final class MemoryServiceStore implements ServiceStore {
    private final Map<String, RegisteredService> byName = new TreeMap<>();
    private final Map<String, Integer> lastNumbers = new HashMap<>();

    @Override
    public synchronized List<RegisteredService> list() {
        return List.copyOf(byName.values());
    }

    @Override
    public synchronized Optional<RegisteredService> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public synchronized int lastRevisionNumber(String name) {
        return lastNumbers.getOrDefault(name, 0);
    }

    @Override
    public synchronized void create(RegisteredService service) {
        if (byName.containsKey(service.name())) {
            throw new DuplicateServiceException("name", "a service named '" + service.name() + "' exists");
        }
        checkHostFree(service);
        put(service);
    }

    @Override
    public synchronized void update(RegisteredService service) {
        RegisteredService stored = byName.get(service.name());
        if (stored == null) {
            throw new ServiceNotFoundException(service.name());
        }
        checkHostFree(service);
        put(keepStoredRevisions(stored, service));
    }

    @Override
    public synchronized boolean delete(String name) {
        return byName.remove(name) != null;
    }

    @Override
    public void close() {
    }

    private void put(RegisteredService service) {
        byName.put(service.name(), service);
        lastNumbers.merge(service.name(), service.latest().number(), Math::max);
    }

    /** {@code service} with each revision that was stored already as it was stored: revisions are immutable. */
    private static RegisteredService keepStoredRevisions(RegisteredService stored, RegisteredService service) {
        List<Revision> revisions = new ArrayList<>(service.revisions().size());
        for (Revision revision : service.revisions()) {
            revisions.add(stored.revision(revision.name()).orElse(revision));
        }
        return new RegisteredService(service.definition(), revisions, service.lastServed());
    }

    private void checkHostFree(RegisteredService service) {
        String host = service.definition().host();
        for (RegisteredService other : byName.values()) {
            if (!other.name().equals(service.name()) && other.definition().host().equals(host)) {
                throw new DuplicateServiceException("host",
                        "host '" + host + "' is used by service '" + other.name() + "'");
            }
        }
    }
}
