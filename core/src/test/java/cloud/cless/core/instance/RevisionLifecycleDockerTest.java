package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.testing.TestImages;
import com.github.dockerjava.api.model.Container;
import io.netty.util.concurrent.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Revisions on the real engine: each with containers of its own, drained when it loses its traffic, or deleted. */
class RevisionLifecycleDockerTest extends LifecycleDockerFixture {

    /** A new service with revision 1 (V=1) holding all of the traffic and revision 2 (V=2) none; its name. */
    private String twoRevisions(String prefix, UnaryOperator<ServiceDefinition.Builder> settings) {
        String name = unique(prefix);
        services.create(settings.apply(service(name, TestImages.HELLO)).env(Map.of("V", "1"))
                .traffic(List.of(TrafficTarget.to(Revision.name(name, 1), 100))).build());
        services.update(settings.apply(service(name, TestImages.HELLO)).env(Map.of("V", "2")).build());
        return name;
    }

    private static String one(String service) {
        return Revision.name(service, 1);
    }

    private static String two(String service) {
        return Revision.name(service, 2);
    }

    /** A lease the way the proxy asks for one: routed by {@code host}, the revision chosen as routing did. */
    private InstanceLease leaseAt(String host) throws Exception {
        Route route = services.registry.route(host);
        assertThat(route).as("a route for %s", host).isNotNull();
        Future<InstanceLease> future = manager.acquire(route, route.revision(ThreadLocalRandom.current()),
                group.next());
        assertThat(future.await(90, TimeUnit.SECONDS)).as("acquire completed").isTrue();
        if (!future.isSuccess()) {
            throw new AssertionError("acquire failed: " + future.cause(), future.cause());
        }
        leases.add(future.getNow());
        return future.getNow();
    }

    /** The version (V) the container behind {@code lease} answers with. */
    private static String version(InstanceLease lease) throws Exception {
        String env = get(lease, "/cgi-bin/env");
        int at = env.indexOf("\nV=");
        assertThat(at).as("V in %s", env).isNotNegative();
        return env.substring(at + 3, at + 4);
    }

    private List<Container> containersOf(String revision) {
        return instanceContainers().stream()
                .filter(c -> revision.equals(c.getLabels().get(ContainerLabels.REVISION))).toList();
    }

    @Test
    void aFiftyFiftySplitStartsContainersOfBothRevisions() throws Exception {
        String name = twoRevisions("split", b -> b);
        services.traffic(name, TrafficTarget.to(one(name), 50), TrafficTarget.to(two(name), 50));

        Map<String, InstanceLease> byVersion = new HashMap<>();
        for (int i = 0; i < 100 && byVersion.size() < 2; i++) {
            InstanceLease lease = leaseAt(name + ".localhost");
            byVersion.putIfAbsent(version(lease), lease);
        }

        assertThat(byVersion).containsOnlyKeys("1", "2");
        assertThat(containersOf(one(name))).hasSize(1);
        assertThat(containersOf(two(name))).hasSize(1);
        assertThat(manager.instances(name)).extracting(InstanceInfo::revision)
                .containsExactlyInAnyOrder(one(name), two(name));
    }

    @Test
    void aShiftOfAllTrafficDrainsTheOldRevisionOnceItsSlowRequestIsAnswered() throws Exception {
        String name = twoRevisions("shift", b -> b);
        InstanceLease old = leaseAt(name + ".localhost");
        assertThat(version(old)).isEqualTo("1");
        String oldContainer = containersOf(one(name)).get(0).getId();
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return get(old, "/cgi-bin/slow?3");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        services.traffic(name, TrafficTarget.to(two(name), 100));

        InstanceLease fresh = leaseAt(name + ".localhost");
        assertThat(version(fresh)).isEqualTo("2");
        assertThat(old.retired()).isDone();
        if (!slow.isDone()) {
            assertThat(stateOf(oldContainer)).as("drains while its request is answered").isEqualTo("running");
        }
        assertThat(slow.get(30, TimeUnit.SECONDS)).contains(" 200 ", "slept 3");
        old.release();
        waitUntil(() -> "removed".equals(stateOf(oldContainer)));
        assertThat(containersOf(two(name))).hasSize(1);
    }

    @Test
    void aTagOnlyRevisionColdStartsOnARequestThroughItsTag() throws Exception {
        manager.start().get(60, TimeUnit.SECONDS);
        String name = twoRevisions("preview", b -> b);
        services.traffic(name, TrafficTarget.to(one(name), 100), TrafficTarget.to(two(name), 0).withTag("canary"));
        assertThat(containersOf(two(name))).isEmpty();

        InstanceLease preview = leaseAt("canary--" + name + ".localhost");

        assertThat(version(preview)).isEqualTo("2");
        assertThat(preview.coldStartWaitMillis()).as("it was cold").isNotNegative();
        assertThat(containersOf(two(name))).hasSize(1);
        assertThat(manager.instances(name)).extracting(InstanceInfo::revision).containsExactly(two(name));
    }

    @Test
    void aDeletedRevisionsContainerIsRemovedOnceItsLastRequestEnds() throws Exception {
        String name = twoRevisions("deleted", b -> b);
        InstanceLease old = leaseAt(name + ".localhost");
        String oldContainer = containersOf(one(name)).get(0).getId();
        services.traffic(name, TrafficTarget.to(two(name), 100));
        assertThat(version(leaseAt(name + ".localhost"))).isEqualTo("2");

        services.deleteRevision(name, one(name));

        assertThat(stateOf(oldContainer)).as("its request is still in flight").isEqualTo("running");
        old.release();
        waitUntil(() -> "removed".equals(stateOf(oldContainer)));
        waitUntil(() -> !ports.held.contains(old.address().getPort()));
        assertThat(instanceContainers()).singleElement()
                .satisfies(c -> assertThat(c.getLabels()).containsEntry(ContainerLabels.REVISION, two(name)));
    }
}
