package cloud.cless.core.service;

import cloud.cless.core.store.ServiceNotFoundException;
import cloud.cless.core.store.ServiceStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered services: validates and stores changes (on the blocking executor), keeps the {@link HostIndex}
 * in step with the store, and tells listeners. Reads come from the index and never block.
 */
public final class ServiceRegistry {
    private static final Logger log = LoggerFactory.getLogger(ServiceRegistry.class);

    private final ServiceStore store;
    private final ServiceValidator validator;
    private final DefinitionDefaults defaults;
    private final Executor blocking;
    private final HostIndex index = new HostIndex();
    private final List<ServiceListener> listeners = new CopyOnWriteArrayList<>();
    // Store write, index update and listeners happen together: the index and the listeners see writes in the order
    // they were committed.
    private final Object writeLock = new Object();

    public ServiceRegistry(ServiceStore store, ServiceValidator validator, DefinitionDefaults defaults,
                           Executor blocking) {
        this.store = store;
        this.validator = validator;
        this.defaults = defaults;
        this.blocking = blocking;
    }

    public void addListener(ServiceListener listener) {
        listeners.add(listener);
    }

    /** Loads the stored definitions into the index; call once before serving. Blocks. */
    public List<ServiceDefinition> load() {
        List<ServiceDefinition> all = store.list();
        synchronized (writeLock) {
            all.forEach(index::put);
        }
        log.info("Loaded {} service definition(s)", all.size());
        return all;
    }

    public ServiceDefinition findByHost(String host) {
        return index.byHost(host);
    }

    public Optional<ServiceDefinition> get(String name) {
        return index.byName(name);
    }

    public List<ServiceDefinition> list() {
        return index.all();
    }

    public DefinitionDefaults defaults() {
        return defaults;
    }

    /** Validates, stores and indexes a new definition; completes with the stored definition (defaults applied). */
    public CompletableFuture<ServiceDefinition> create(ServiceDefinition requested) {
        return CompletableFuture.supplyAsync(() -> {
            ServiceDefinition def = checked(requested);
            synchronized (writeLock) {
                store.create(def);
                index.put(def);
                listeners.forEach(l -> l.serviceCreated(def));
            }
            return def;
        }, blocking);
    }

    /** Replaces the definition called {@code name}; the body's name, when given, must be the same. */
    public CompletableFuture<ServiceDefinition> update(String name, ServiceDefinition requested) {
        return CompletableFuture.supplyAsync(() -> {
            ServiceDefinition named = requested.name() == null ? requested.toBuilder().name(name).build() : requested;
            if (!name.equals(named.name())) {
                throw new InvalidDefinitionException(
                        java.util.Map.of("name", "must match the name in the path ('" + name + "')"));
            }
            ServiceDefinition def = checked(named);
            ServiceDefinition previous;
            synchronized (writeLock) {
                previous = index.byName(name).orElseThrow(() -> new ServiceNotFoundException(name));
                store.update(def);
                index.put(def);
                listeners.forEach(l -> l.serviceUpdated(previous, def));
            }
            return def;
        }, blocking);
    }

    public CompletableFuture<Void> delete(String name) {
        return CompletableFuture.runAsync(() -> {
            ServiceDefinition previous;
            synchronized (writeLock) {
                previous = index.byName(name).orElseThrow(() -> new ServiceNotFoundException(name));
                store.delete(name);
                index.remove(previous);
                listeners.forEach(l -> l.serviceDeleted(previous));
            }
        }, blocking);
    }

    private ServiceDefinition checked(ServiceDefinition requested) {
        ServiceDefinition def = defaults.apply(requested);
        validator.check(def);
        return def;
    }
}
