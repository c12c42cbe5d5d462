package cloud.cless.core.instance;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The registered services of a test: what it puts here is current. */
final class TestDirectory implements ServiceDirectory {
    private final Map<String, ServiceDefinition> services = new ConcurrentHashMap<>();
    private final DefinitionDefaults defaults = new DefinitionDefaults("localhost", 300, 30);

    void put(ServiceDefinition definition) {
        services.put(definition.name(), definition);
    }

    void remove(String name) {
        services.remove(name);
    }

    @Override
    public ServiceDefinition current(String name) {
        return services.get(name);
    }

    @Override
    public List<ServiceDefinition> all() {
        List<ServiceDefinition> all = new ArrayList<>(services.values());
        all.sort(Comparator.comparing(ServiceDefinition::name));
        return all;
    }

    @Override
    public DefinitionDefaults defaults() {
        return defaults;
    }
}
