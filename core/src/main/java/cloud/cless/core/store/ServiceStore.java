package cloud.cless.core.store;

import cloud.cless.core.service.ServiceDefinition;
import java.util.List;
import java.util.Optional;

/**
 * Durable home of service definitions. Calls may block (disk I/O): callers run them on the blocking executor,
 * never on an event loop. Implementations are thread-safe.
 */
public interface ServiceStore extends AutoCloseable {

    /** All definitions, sorted by name. */
    List<ServiceDefinition> list();

    Optional<ServiceDefinition> get(String name);

    /** Stores a new definition; {@link DuplicateServiceException} when the name or the host is taken. */
    void create(ServiceDefinition definition);

    /**
     * Replaces the definition of the same name; {@link ServiceNotFoundException} when there is none,
     * {@link DuplicateServiceException} when the new host belongs to another service.
     */
    void update(ServiceDefinition definition);

    /** Removes a definition; false when there was none. */
    boolean delete(String name);

    @Override
    void close();
}
