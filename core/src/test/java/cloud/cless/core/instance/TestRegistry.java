package cloud.cless.core.instance;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceListener;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.store.MemoryServiceStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The registered services of a test: a real {@link ServiceRegistry} on a memory store, writing on the caller's
 * thread, whose changes reach the lifecycle in commit order. The delivery can be held, so that a test sees the
 * window in which the registry says what is current but the lifecycle has not heard of it yet.
 */
final class TestRegistry implements ServiceListener {
    static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);

    final ServiceRegistry registry;
    final ServiceDirectory directory;
    private final List<Consumer<ServiceListener>> held = new ArrayList<>();
    private ServiceListener lifecycle;
    private boolean holding;
    private boolean dropping;

    TestRegistry(Clock clock, int revisionHistory) {
        registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(), DEFAULTS, Runnable::run,
                clock, revisionHistory);
        registry.addListener(this);
        directory = ServiceDirectory.of(registry);
    }

    /** From now on, changes are told to {@code listener}. */
    synchronized void tell(ServiceListener listener) {
        lifecycle = listener;
    }

    /** Stores {@code definition} as a service that was registered before the lifecycle started: it is not told. */
    ServiceDefinition existing(ServiceDefinition definition) {
        return quietly(() -> registry.create(definition).join().definition());
    }

    /** Replaces a definition as if while no cless ran (or just before it crashed): the lifecycle is not told. */
    ServiceDefinition updatedMeanwhile(ServiceDefinition definition) {
        return quietly(() -> update(definition));
    }

    /** Changes the traffic as if while no cless ran: the lifecycle is not told. */
    RegisteredService trafficMeanwhile(String service, TrafficTarget... traffic) {
        return quietly(() -> traffic(service, traffic));
    }

    /** Deletes {@code service} as if while no cless ran: the lifecycle is not told. */
    void deletedMeanwhile(String service) {
        quietly(() -> registry.delete(service).join());
    }

    private synchronized <T> T quietly(Supplier<T> change) {
        dropping = true;
        try {
            return change.get();
        } finally {
            dropping = false;
        }
    }

    ServiceDefinition create(ServiceDefinition definition) {
        return registry.create(definition).join().definition();
    }

    ServiceDefinition update(ServiceDefinition definition) {
        return registry.update(definition.name(), definition).join().definition();
    }

    RegisteredService traffic(String service, TrafficTarget... traffic) {
        return registry.updateTraffic(service, List.of(traffic)).join();
    }

    void delete(String service) {
        registry.delete(service).join();
    }

    RegisteredService deleteRevision(String service, String revision) {
        return registry.deleteRevision(service, revision).join();
    }

    /** The service as registered now. */
    RegisteredService service(String name) {
        return directory.service(name);
    }

    /** The revision {@code name} of {@code service} as registered now. */
    Revision revision(String service, String name) {
        return service(service).revision(name).orElseThrow();
    }

    /** Changes from now on wait until {@link #release()}. */
    synchronized void hold() {
        holding = true;
    }

    /** Tells the held changes, in their order, and every later one at once. */
    void release() {
        List<Consumer<ServiceListener>> late;
        ServiceListener to;
        synchronized (this) {
            holding = false;
            late = List.copyOf(held);
            held.clear();
            to = lifecycle;
        }
        late.forEach(call -> call.accept(to));
    }

    private void deliver(Consumer<ServiceListener> call) {
        ServiceListener to;
        synchronized (this) {
            if (dropping || lifecycle == null) {
                return;
            }
            if (holding) {
                held.add(call);
                return;
            }
            to = lifecycle;
        }
        call.accept(to);
    }

    @Override
    public void serviceCreated(ServiceDefinition definition) {
        deliver(l -> l.serviceCreated(definition));
    }

    @Override
    public void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
        deliver(l -> l.serviceUpdated(previous, current));
    }

    @Override
    public void serviceDeleted(ServiceDefinition definition) {
        deliver(l -> l.serviceDeleted(definition));
    }

    @Override
    public void revisionCreated(RegisteredService service, Revision revision) {
        deliver(l -> l.revisionCreated(service, revision));
    }

    @Override
    public void trafficChanged(RegisteredService previous, RegisteredService current) {
        deliver(l -> l.trafficChanged(previous, current));
    }

    @Override
    public void revisionDeleted(RegisteredService service, Revision revision) {
        deliver(l -> l.revisionDeleted(service, revision));
    }
}
