package cloud.cless.core.store;

import cloud.cless.core.service.RegisteredService;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Durable home of the services: each definition with its traffic, its revisions and when they last served. Every
 * write stores one whole service at once (atomically: all of it or nothing). Calls may block (disk or network
 * I/O): callers run them on the blocking executor, never on an event loop. Implementations are thread-safe.
 *
 * <p>A store may be shared by several cless processes ({@code --store postgres}): {@link #write} is the one way a
 * service changes, planned from what is stored under a lock that holds off every other writer of that name, so
 * that no change is lost and no revision number is handed out twice. A host, a service's own or a tag's
 * ({@code <tag>--<host>}), leads to one service only; the store refuses a write that would break that with
 * {@link DuplicateServiceException}, whoever wrote the other service.
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

    /**
     * Changes the service called {@code name} in one transaction: reads it as stored, with
     * {@link #lastRevisionNumber}, under a lock held until the end; hands both to {@code plan}; and stores what the
     * plan returns in its place, or deletes it. Stored revisions are immutable: only their last-served time
     * changes. An outcome equal to what is stored writes nothing. Whatever the plan throws aborts the write and
     * comes out of this call as it was thrown; so does {@link DuplicateServiceException} when a host of the
     * outcome belongs to another service.
     *
     * @return the plan's {@link Outcome#value()}
     */
    <T> T write(String name, Plan<T> plan);

    /** Stores a new service with its revisions; {@link DuplicateServiceException} when the name or a host is taken. */
    default void create(RegisteredService service) {
        write(service.name(), (stored, lastRevisionNumber) -> {
            if (stored.isPresent()) {
                throw DuplicateServiceException.name(service.name());
            }
            return Outcome.store(service, null);
        });
    }

    /**
     * Replaces the stored service of the same name with {@code service}: its definition and traffic, revisions it
     * does not have any more are deleted, new ones added, and when each last served. {@link ServiceNotFoundException}
     * when there is none, {@link DuplicateServiceException} when a new host belongs to another service.
     */
    default void update(RegisteredService service) {
        write(service.name(), (stored, lastRevisionNumber) -> {
            if (stored.isEmpty()) {
                throw new ServiceNotFoundException(service.name());
            }
            return Outcome.store(service, null);
        });
    }

    /** Removes a service with its revisions and traffic; false when there was none. */
    default boolean delete(String name) {
        return write(name, (stored, lastRevisionNumber) -> Outcome.delete(stored.isPresent()));
    }

    @Override
    void close();

    /** Works out a change of one service from what is stored; see {@link #write}. */
    @FunctionalInterface
    interface Plan<T> {
        /**
         * @param stored             the service as stored now, empty when there is none
         * @param lastRevisionNumber the highest revision number its name has had, 0 when none
         */
        Outcome<T> plan(Optional<RegisteredService> stored, int lastRevisionNumber);
    }

    /**
     * What a {@link Plan} decided.
     *
     * @param service what to store under the name, null to delete what is stored (nothing when there is nothing)
     * @param value   what {@link #write} returns
     */
    record Outcome<T>(RegisteredService service, T value) {

        public static <T> Outcome<T> store(RegisteredService service, T value) {
            return new Outcome<>(Objects.requireNonNull(service, "service"), value);
        }

        public static <T> Outcome<T> delete(T value) {
            return new Outcome<>(null, value);
        }
    }
}
