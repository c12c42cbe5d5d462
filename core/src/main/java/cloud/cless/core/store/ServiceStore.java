package cloud.cless.core.store;

import cloud.cless.core.service.RegisteredService;
import java.util.List;
import java.util.Optional;

/**
 * Durable home of the services: each definition with its traffic, its revisions and when they last served. Every
 * write stores one whole service at once (atomically: all of it or nothing). Calls may block (disk I/O): callers
 * run them on the blocking executor, never on an event loop. Implementations are thread-safe.
 */
public interface ServiceStore extends AutoCloseable {

    /** All services, sorted by name. */
    List<RegisteredService> list();

    Optional<RegisteredService> get(String name);

    /**
     * The highest revision number a service of this name has had, 0 when none: deleting a service does not reset
     * it, so a later service of the same name does not reuse its revision names.
     */
    int lastRevisionNumber(String name);

    /** Stores a new service with its revisions; {@link DuplicateServiceException} when the name or host is taken. */
    void create(RegisteredService service);

    /**
     * Replaces the stored service of the same name with {@code service}: its definition and traffic, revisions it
     * does not have any more are deleted, new ones added, and when each last served. Stored revisions are
     * immutable: only their last-served time changes. {@link ServiceNotFoundException} when there is none,
     * {@link DuplicateServiceException} when the new host belongs to another service.
     */
    void update(RegisteredService service);

    /** Removes a service with its revisions and traffic; false when there was none. */
    boolean delete(String name);

    @Override
    void close();
}
