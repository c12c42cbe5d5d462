package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.store.MemoryServiceStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServiceRegistryOrderTest {
    private final ExecutorService blocking = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        blocking.shutdownNow();
    }

    private static ServiceDefinition hello(String greeting) {
        return ServiceDefinition.builder("hello").imageName("cless-test/hello").env(Map.of("GREETING", greeting))
                .build();
    }

    /**
     * Listeners hear of changes in the order they were committed, even when the first one's listener is slow: the
     * first listener call waits (up to a bound) for the second change to be heard, which must not happen before.
     */
    @Test
    void listenersHearChangesInTheOrderTheyWereCommitted() throws Exception {
        ServiceRegistry registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
                new DefinitionDefaults("localhost", 300, 30), blocking);
        List<String> heard = new CopyOnWriteArrayList<>();
        CountDownLatch secondHeard = new CountDownLatch(1);
        registry.addListener(new ServiceListener() {
            @Override
            public void serviceCreated(ServiceDefinition definition) {
                try {
                    secondHeard.await(1, TimeUnit.SECONDS); // a slow listener
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                heard.add("created " + definition.env().get("GREETING"));
            }

            @Override
            public void serviceDeleted(ServiceDefinition definition) {
                heard.add("deleted " + definition.env().get("GREETING"));
                secondHeard.countDown();
            }
        });

        CompletableFuture<RegisteredService> created = registry.create(hello("one"));
        CompletableFuture<Void> deleted = awaitCommitted(registry, "hello").thenCompose(v -> registry.delete("hello"));
        created.get(10, TimeUnit.SECONDS);
        deleted.get(10, TimeUnit.SECONDS);

        assertThat(heard).containsExactly("created one", "deleted one");
    }

    /** Completes once {@code name} is in the registry's index (the create was committed). */
    private CompletableFuture<Void> awaitCommitted(ServiceRegistry registry, String name) {
        return CompletableFuture.runAsync(() -> {
            while (registry.get(name).isEmpty()) {
                Thread.onSpinWait();
            }
        }, blocking);
    }
}
