package cloud.cless.core.service;

import cloud.cless.core.store.DuplicateServiceException;
import cloud.cless.core.store.ServiceNotFoundException;
import cloud.cless.core.store.ServiceStore;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered services: works out what a change does (a new revision, retention) from what is stored,
 * validates and stores it (on the blocking executor), keeps the {@link HostIndex} in step with the store, and
 * tells listeners. Reads come from the index and never block, so they keep working while a shared store is out
 * of reach. With a store shared by several replicas, {@link #reload} and {@link #reloadAll} apply what the others
 * changed (the change feed calls them), told to listeners like changes made here.
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
    // Store access, index update and listeners happen together: the index and the listeners see changes in the
    // order they were committed, whether made here or read from a shared store.
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
        return write(requested.name(), (stored, lastRevisionNumber) -> {
            ServiceChange change = planner.create(defaults.apply(requested), lastRevisionNumber + 1, now());
            if (stored.isPresent()) {
                throw DuplicateServiceException.name(requested.name());
            }
            return change;
        });
    }

    /**
     * Replaces the definition called {@code name}; the body's name, when given, must be the same. A change to what
     * containers run makes the next revision; a request without traffic keeps the service's.
     */
    public CompletableFuture<RegisteredService> update(String name, ServiceDefinition requested) {
        return write(name, (stored, lastRevisionNumber) -> {
            ServiceDefinition named = requested.name() == null ? requested.toBuilder().name(name).build() : requested;
            if (!name.equals(named.name())) {
                throw new InvalidDefinitionException(
                        Map.of("name", "must match the name in the path ('" + name + "')"));
            }
            return planner.change(ServiceChange.Kind.UPDATE, existing(name, stored), defaults.apply(named), now());
        });
    }

    /** Replaces the traffic of the service called {@code name}; revisions that drop out of the history go. */
    public CompletableFuture<RegisteredService> updateTraffic(String name, List<TrafficTarget> traffic) {
        return write(name, (stored, lastRevisionNumber) -> {
            RegisteredService previous = existing(name, stored);
            return planner.change(ServiceChange.Kind.TRAFFIC, previous,
                    previous.definition().toBuilder().traffic(traffic).build(), now());
        });
    }

    /** Deletes one revision; {@link RevisionInUseException} while it is the latest or the traffic names it. */
    public CompletableFuture<RegisteredService> deleteRevision(String name, String revision) {
        return write(name, (stored, lastRevisionNumber) -> planner.deleteRevision(existing(name, stored), revision));
    }

    /** Deletes the service with all of its revisions. */
    public CompletableFuture<Void> delete(String name) {
        return write(name, (stored, lastRevisionNumber) -> ChangePlanner.delete(existing(name, stored)))
                .thenApply(none -> null);
    }

    /**
     * Makes this replica's view match the shared store again after it may have missed changes (the change feed
     * has just connected): every service as stored is applied, and those no longer stored are deleted. Blocks;
     * store failures are thrown (the caller tries again later).
     */
    public void reloadAll() {
        synchronized (writeLock) {
            List<RegisteredService> stored = store.list();
            Set<String> names = new HashSet<>();
            for (RegisteredService service : stored) {
                names.add(service.name());
                apply(service.name(), service, null).ifPresent(this::tellRemote);
            }
            for (RegisteredService indexed : index.services()) {
                if (!names.contains(indexed.name())) {
                    apply(indexed.name(), null, null).ifPresent(this::tellRemote);
                }
            }
        }
    }

    /**
     * Makes this replica's view of the service called {@code name} match the shared store, where another
     * replica may have changed it: applied when stored and different, deleted when gone. Blocks; store failures
     * are thrown.
     */
    public void reload(String name) {
        synchronized (writeLock) {
            // Read under the lock: this replica's own writes commit and index before or after, never in between,
            // so an older state read from the store can never replace a newer one of ours in the index.
            apply(name, store.get(name).orElse(null), null).ifPresent(this::tellRemote);
        }
    }

    /** Works out a change from the service as stored under the write's lock (see {@link ServiceStore#write}). */
    @FunctionalInterface
    private interface Planning {
        ServiceChange plan(Optional<RegisteredService> stored, int lastRevisionNumber);
    }

    /**
     * Plans and stores a change in one store transaction, under the write lock, indexes what it stored and tells
     * the listeners. Completes with the service as the change left it (null once deleted).
     */
    private CompletableFuture<RegisteredService> write(String name, Planning planning) {
        return CompletableFuture.supplyAsync(() -> {
            ServiceChange planned;
            synchronized (writeLock) {
                // Without a name the planner refuses the definition before anything is read or stored.
                planned = name == null ? planning.plan(Optional.empty(), 0) : store.write(name,
                        (stored, lastRevisionNumber) -> {
                            ServiceChange c = planning.plan(stored, lastRevisionNumber);
                            return new ServiceStore.Outcome<>(c.current(), c);
                        });
                // Under the lock: listeners hear changes in the order they were committed.
                apply(name, planned.current(), planned).ifPresent(this::tell);
            }
            return planned.current();
        }, blocking);
    }

    /**
     * The one way the index changes (call under the write lock): makes it hold {@code current} as the service
     * called {@code name} (null: none), and returns what listeners are to be told, as seen from what the index
     * held. A local write hands the change it planned, which is told as it is when it was planned from what the
     * index holds; otherwise (a change seen in the store, or planned from a newer stored state than the index
     * had) the difference is told, and nothing when there is none.
     */
    private Optional<ServiceChange> apply(String name, RegisteredService current, ServiceChange planned) {
        RegisteredService indexed = index.service(name).orElse(null);
        ServiceChange change;
        if (planned != null && Objects.equals(planned.previous(), indexed)) {
            change = planned;
        } else if (Objects.equals(indexed, current)) {
            return Optional.empty();
        } else {
            change = ServiceChange.between(indexed, current);
        }
        if (current == null) {
            if (indexed != null) {
                index.remove(indexed);
            }
        } else {
            index.put(current);
        }
        return Optional.of(change);
    }

    private void tellRemote(ServiceChange change) {
        log.info("Service {}: {} in the shared store", change.name(), change.current() == null ? "deleted"
                : change.previous() == null ? "created" : "changed");
        tell(change);
    }

    private void tell(ServiceChange change) {
        if (!change.deleted().isEmpty()) {
            log.info("Service {}: deleted revision(s) {}", change.name(),
                    change.deleted().stream().map(Revision::name).toList());
        }
        listeners.forEach(change::tell);
    }

    private static RegisteredService existing(String name, Optional<RegisteredService> stored) {
        return stored.orElseThrow(() -> new ServiceNotFoundException(name));
    }

    /** Times are stored in milliseconds: every store gives back what it was given. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
