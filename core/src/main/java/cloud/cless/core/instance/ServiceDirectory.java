package cloud.cless.core.instance;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import java.util.List;

/** The registered services as the lifecycle reads them: the current definition of each, read without blocking. */
public interface ServiceDirectory {

    /** The current definition of {@code name}, or null when no such service is registered (any more). */
    ServiceDefinition current(String name);

    /** Every registered service. */
    List<ServiceDefinition> all();

    /** The defaults that fill what a definition leaves out. */
    DefinitionDefaults defaults();

    /** The services of {@code registry}. */
    static ServiceDirectory of(ServiceRegistry registry) {
        return new ServiceDirectory() {
            @Override
            public ServiceDefinition current(String name) {
                return registry.get(name).orElse(null);
            }

            @Override
            public List<ServiceDefinition> all() {
                return registry.list();
            }

            @Override
            public DefinitionDefaults defaults() {
                return registry.defaults();
            }
        };
    }
}
