package cloud.cless.core.instance;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ServiceRegistry;
import java.util.List;

/**
 * The registered services as the lifecycle reads them: each with its revisions and resolved traffic as the last
 * committed change left it, read without blocking.
 */
public interface ServiceDirectory {

    /** The service called {@code name} now, or null when no such service is registered (any more). */
    RegisteredService service(String name);

    /** Every registered service. */
    List<RegisteredService> all();

    /** The defaults that fill what a definition leaves out. */
    DefinitionDefaults defaults();

    /** The services of {@code registry}. */
    static ServiceDirectory of(ServiceRegistry registry) {
        return new ServiceDirectory() {
            @Override
            public RegisteredService service(String name) {
                return registry.service(name).orElse(null);
            }

            @Override
            public List<RegisteredService> all() {
                return registry.services();
            }

            @Override
            public DefinitionDefaults defaults() {
                return registry.defaults();
            }
        };
    }
}
