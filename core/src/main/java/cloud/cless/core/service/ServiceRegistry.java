package cloud.cless.core.service;

import cloud.cless.core.store.DuplicateServiceException;
import cloud.cless.core.store.ServiceNotFoundException;
import cloud.cless.core.store.ServiceStore;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered services: works out what a change does (a new revision, retention), validates and stores it (on
 * the blocking executor), keeps the {@link HostIndex} in step with the store, and tells listeners. Reads come
 * from the index and never block.
 */
public final class ServiceRegistry {
    private static final Logger log = LoggerFactory.getLogger(ServiceRegistry.class);
    /** {@code --revision-history}'s default. */
    public static final int DEFAULT_REVISION_HISTORY = 10;

    private final ServiceStore store;
    private final DefinitionDefaults defaults;
    private final Executor blocking;
    private final Clock clock;
    private final ChangePlanner planner;
    private final HostIndex index = new HostIndex();
    private final List<ServiceListener> listeners = new CopyOnWriteArrayList<>();
    // Store write, index update and listeners happen together: the index and the listeners see writes in the order
    // they were committed.
    private final Object writeLock = new Object();

    /** A registry that keeps {@value #DEFAULT_REVISION_HISTORY} revisions per service, on the system clock. */
    public ServiceRegistry(ServiceStore store, ServiceValidator validator, DefinitionDefaults defaults,
                           Executor blocking) {
        this(store, validator, defaults, blocking, Clock.systemUTC(), DEFAULT_REVISION_HISTORY);
    }

    /**
     * @param clock           dates new revisions and traffic changes
     * @param revisionHistory the newest revisions of a service kept whatever their traffic ({@code --revision-history})
     */
    public ServiceRegistry(ServiceStore store, ServiceValidator validator, DefinitionDefaults defaults,
                           Executor blocking, Clock clock, int revisionHistory) {
        this.store = store;
        this.defaults = defaults;
        this.blocking = blocking;
        this.clock = clock;
        this.planner = new ChangePlanner(validator, revisionHistory);
    }

    public void addListener(ServiceListener listener) {
        listeners.add(listener);
    }

    /** Loads the stored services into the index; call once before serving. Blocks. */
    public List<ServiceDefinition> load() {
        List<RegisteredService> all = store.list();
        synchronized (writeLock) {
            all.forEach(index::put);
        }
        log.info("Loaded {} service definition(s)", all.size());
        return all.stream().map(RegisteredService::definition).toList();
    }

    /** The service whose own host is {@code host} (not a tag's host), or null. */
    public ServiceDefinition findByHost(String host) {
        return index.byHost(host);
    }

    /** Where a request for {@code host} goes: a service and its traffic, or a tag's revision; null for none. */
    public Route route(String host) {
        return index.route(host);
    }

    public Optional<ServiceDefinition> get(String name) {
        return index.byName(name);
    }

    /** The service with its revisions and resolved traffic, as the last stored change left it. */
    public Optional<RegisteredService> service(String name) {
        return index.service(name);
    }

    public List<ServiceDefinition> list() {
        return index.all();
    }

    /** Every service with its revisions and resolved traffic, sorted by name. */
    public List<RegisteredService> services() {
        return index.services();
    }

    public DefinitionDefaults defaults() {
        return defaults;
    }

    /** Validates, stores and indexes a new service with its first revision; completes with what was stored. */
    public CompletableFuture<RegisteredService> create(ServiceDefinition requested) {
        return write(() -> {
            ServiceDefinition def = defaults.apply(requested);
            int number = def.name() == null ? 1 : store.lastRevisionNumber(def.name()) + 1;
            ServiceChange change = planner.create(def, number, now());
            checkHostsFree(change.current());
            store.create(change.current());
            return change;
        });
    }

    /**
     * Replaces the definition called {@code name}; the body's name, when given, must be the same. A change to what
     * containers run makes the next revision; a request without traffic keeps the service's.
     */
    public CompletableFuture<RegisteredService> update(String name, ServiceDefinition requested) {
        return write(() -> {
            ServiceDefinition named = requested.name() == null ? requested.toBuilder().name(name).build() : requested;
            if (!name.equals(named.name())) {
                throw new InvalidDefinitionException(
                        Map.of("name", "must match the name in the path ('" + name + "')"));
            }
            ServiceChange change = planner.change(ServiceChange.Kind.UPDATE, existing(name), defaults.apply(named),
                    now());
            checkHostsFree(change.current());
            store.update(change.current());
            return change;
        });
    }

    /** Replaces the traffic of the service called {@code name}; revisions that drop out of the history go. */
    public CompletableFuture<RegisteredService> updateTraffic(String name, List<TrafficTarget> traffic) {
        return write(() -> {
            RegisteredService previous = existing(name);
            ServiceChange change = planner.change(ServiceChange.Kind.TRAFFIC, previous,
                    previous.definition().toBuilder().traffic(traffic).build(), now());
            checkHostsFree(change.current());
            store.update(change.current());
            return change;
        });
    }

    /** Deletes one revision; {@link RevisionInUseException} while it is the latest or the traffic names it. */
    public CompletableFuture<RegisteredService> deleteRevision(String name, String revision) {
        return write(() -> {
            ServiceChange change = planner.deleteRevision(existing(name), revision);
            store.update(change.current());
            return change;
        });
    }

    /** Deletes the service with all of its revisions. */
    public CompletableFuture<Void> delete(String name) {
        return write(() -> {
            ServiceChange change = ChangePlanner.delete(existing(name));
            store.delete(name);
            return change;
        }).thenApply(none -> null);
    }

    /**
     * Runs a change under the write lock, indexes what it stored, then tells the listeners. Completes with the
     * service as the change left it (null once deleted).
     */
    private CompletableFuture<RegisteredService> write(Supplier<ServiceChange> stored) {
        return CompletableFuture.supplyAsync(() -> {
            ServiceChange change;
            synchronized (writeLock) {
                change = stored.get();
                if (change.current() == null) {
                    index.remove(change.previous());
                } else {
                    index.put(change.current());
                }
                // Under the lock: listeners hear changes in the order they were committed.
                listeners.forEach(change::tell);
            }
            if (!change.deleted().isEmpty()) {
                log.info("Service {}: deleted revision(s) {}", change.name(),
                        change.deleted().stream().map(Revision::name).toList());
            }
            return change.current();
        }, blocking);
    }

    private RegisteredService existing(String name) {
        return index.service(name).orElseThrow(() -> new ServiceNotFoundException(name));
    }

    /** The service's own host and its tags' hosts must not lead to another service already. */
    private void checkHostsFree(RegisteredService service) {
        HostIndex.routes(service).forEach((host, route) -> {
            String owner = index.ownerOf(host);
            if (owner == null || owner.equals(service.name())) {
                return;
            }
            if (!route.tagged()) {
                throw new DuplicateServiceException("host", "host '" + host + "' is used by service '" + owner + "'");
            }
            List<TrafficTarget> traffic = service.definition().traffic();
            int entry = 0;
            while (entry < traffic.size() && !route.tag().equals(traffic.get(entry).tag())) {
                entry++;
            }
            throw new DuplicateServiceException("traffic[" + entry + "].tag", "tag '" + route.tag() + "' would be"
                    + " reached at '" + host + "', which is a host of service '" + owner + "'");
        });
    }

    /** Times are stored in milliseconds: every store gives back what it was given. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
