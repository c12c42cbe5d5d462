package cloud.cless.bench;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.store.MemoryServiceStore;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of routing a sniffed host: {@link ServiceRegistry#findByHost} with 10,000 registered services, for hosts
 * that are registered and hosts that are not; and {@link ServiceRegistry#route} with the choice of a revision, for
 * services split 90/10 between two revisions and for the host of a tag. Lookups cycle through distinct String instances so that equality is
 * a real comparison, not an identity hit; their hash codes are cached after the first pass, as the parser's fresh
 * String pays that cost and {@link HostSniffBenchmark} measures it.
 */
@State(Scope.Benchmark)
public class HostLookupBenchmark extends AbstractBenchmark {

    static final int SERVICES = 10_000;
    // A power of two, so picking the next host is a mask rather than a division.
    private static final int PROBES = 1024;
    private static final String DOMAIN = "localhost";

    /** Services split 90/10 between two revisions, with a tag on the second. */
    static final int SPLIT = 1_000;

    private ServiceRegistry registry;
    private final String[] hits = new String[PROBES];
    private final String[] misses = new String[PROBES];
    private final String[] splitHosts = new String[PROBES];
    private final String[] tagHosts = new String[PROBES];
    private int next;

    @Setup
    public void setUp() {
        registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
                new DefinitionDefaults(DOMAIN, 300, 30), Runnable::run);
        for (int i = 0; i < SERVICES; i++) {
            registry.create(ServiceDefinition.builder(name(i)).imageName("cless-test/hello").build()).join();
        }
        for (int i = 0; i < SPLIT; i++) {
            registry.update(name(i), ServiceDefinition.builder(name(i)).imageName("cless-test/hello")
                    .imageTag("v2").build()).join();
            registry.updateTraffic(name(i), List.of(TrafficTarget.to(Revision.name(name(i), 1), 90),
                    TrafficTarget.latest(10).withTag("canary"))).join();
        }
        Random random = new Random(42);
        for (int i = 0; i < PROBES; i++) {
            hits[i] = name(random.nextInt(SERVICES)) + "." + DOMAIN;
            misses[i] = "missing-" + random.nextInt(SERVICES) + "." + DOMAIN;
            int split = random.nextInt(SPLIT);
            splitHosts[i] = name(split) + "." + DOMAIN;
            tagHosts[i] = "canary--" + name(split) + "." + DOMAIN;
        }
        if (registry.findByHost(hits[0]) == null || registry.findByHost(misses[0]) != null) {
            throw new IllegalStateException("registry does not answer the benchmark's hosts as expected");
        }
    }

    @Benchmark
    public ServiceDefinition hit() {
        return registry.findByHost(hits[next++ & (PROBES - 1)]);
    }

    @Benchmark
    public ServiceDefinition miss() {
        return registry.findByHost(misses[next++ & (PROBES - 1)]);
    }

    @Benchmark
    public Revision splitRoute() {
        return registry.route(splitHosts[next++ & (PROBES - 1)]).revision(ThreadLocalRandom.current());
    }

    @Benchmark
    public Revision tagRoute() {
        return registry.route(tagHosts[next++ & (PROBES - 1)]).revision(ThreadLocalRandom.current());
    }

    private static String name(int i) {
        return String.format("svc-%05d", i);
    }
}
