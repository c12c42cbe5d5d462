package cloud.cless.core.store;

import cloud.cless.core.service.HostClaims;
import cloud.cless.core.service.RegisteredService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/** Keeps services in memory only ({@code --store memory}): gone when the process ends. */
public final class MemoryServiceStore implements ServiceStore {
    private final Map<String, RegisteredService> byName = new TreeMap<>();
    private final Map<String, Integer> lastNumbers = new HashMap<>();
    /** Every host a stored service is reached at, its own and its tags', to the service's name. */
    private final Map<String, String> hosts = new HashMap<>();

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
    public synchronized <T> T write(String name, Plan<T> plan) {
        RegisteredService stored = byName.get(name);
        Outcome<T> outcome = plan.plan(Optional.ofNullable(stored), lastRevisionNumber(name));
        RegisteredService service = outcome.service();
        if (Objects.equals(service, stored)) {
            return outcome.value();
        }
        if (service == null) {
            remove(stored);
            return outcome.value();
        }
        StoredRevisions.checkName(name, service);
        HostClaims.check(service, hosts::get);
        if (stored != null) {
            remove(stored);
            service = StoredRevisions.keep(stored, service);
        }
        byName.put(name, service);
        HostClaims.of(service).keySet().forEach(host -> hosts.put(host, name));
        lastNumbers.merge(name, service.latest().number(), Math::max);
        return outcome.value();
    }

    @Override
    public void close() {
    }

    private void remove(RegisteredService service) {
        byName.remove(service.name());
        HostClaims.of(service).keySet().forEach(hosts::remove);
    }
}
