package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import cloud.cless.core.service.TrafficTarget;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Reconcile after a restart adopts a container only as an instance of the revision on its label, while it serves. */
class RevisionReconcileTest extends LifecycleFixture {
    private static final String ONE = "hello-00001";
    private static final String TWO = "hello-00002";
    private static final String THREE = "hello-00003";

    private static int freePort() throws IOException {
        return ReadinessProbeTest.unusedAddress().getPort();
    }

    @Test
    void afterAPutAndACrashBeforeTheOldInstanceDrainedTheRestartKeepsTheNewRevisionsContainer() throws Exception {
        services.existing(service("hello").env(Map.of("V", "1")).maxInstances(1).build());
        services.updatedMeanwhile(service("hello").env(Map.of("V", "2")).maxInstances(1).build());
        // Listed in the order they were made: the old one first, as the engine lists them.
        FakeRuntime.Container old = runtime.existing("hello", ONE, "aaaa1111", freePort(), "running");
        int newPort = freePort();
        FakeRuntime.Container current = runtime.existing("hello", TWO, "bbbb2222", newPort, "running");

        manager.start().get(30, TimeUnit.SECONDS);

        assertThat(runtime.containers).containsKey(current.id).doesNotContainKey(old.id);
        assertThat(runtime.calls).contains("remove " + old.id);
        assertThat(ports.held).contains(newPort).doesNotContain(old.spec.hostPort());
        assertThat(manager.instances("hello")).singleElement().satisfies(info -> {
            assertThat(info.id()).isEqualTo("bbbb2222");
            assertThat(info.revision()).isEqualTo(TWO);
            assertThat(info.state()).isEqualTo(InstanceState.READY);
        });
        InstanceLease lease = lease(service("hello").build());
        assertThat(lease.instanceId()).isEqualTo("bbbb2222");
        assertThat(runtime.starts()).as("nothing started: the current revision's container serves").isZero();
    }

    @Test
    void eachContainerIsAdoptedIntoItsRevisionWhileItServesAndTheRestAreRemoved() throws Exception {
        // max_instances 1 for each revision (the fixture's default)
        services.existing(service("hello").env(Map.of("V", "1")).build());
        services.updatedMeanwhile(service("hello").env(Map.of("V", "2")).build());
        services.updatedMeanwhile(service("hello").env(Map.of("V", "3")).build());
        services.trafficMeanwhile("hello", TrafficTarget.to(THREE, 100), TrafficTarget.to(TWO, 0).withTag("canary"));
        FakeRuntime.Container none = runtime.existing("hello", ONE, "aaaa0001", freePort(), "running");
        FakeRuntime.Container tagged = runtime.existing("hello", TWO, "aaaa0002", freePort(), "running");
        FakeRuntime.Container serving = runtime.existing("hello", THREE, "aaaa0003", freePort(), "running");
        FakeRuntime.Container secondOfThree = runtime.existing("hello", THREE, "aaaa0033", freePort(), "running");
        FakeRuntime.Container unknown = runtime.existing("hello", "hello-00009", "aaaa0009", freePort(), "running");
        FakeRuntime.Container unlabelled = runtime.existing("hello", null, "aaaa0000", freePort(), "running");

        manager.start().get(30, TimeUnit.SECONDS);

        assertThat(runtime.containers).containsKeys(tagged.id, serving.id)
                .doesNotContainKeys(none.id, secondOfThree.id, unknown.id, unlabelled.id);
        assertThat(manager.instances("hello")).extracting(InstanceInfo::id, InstanceInfo::revision)
                .containsExactlyInAnyOrder(tuple("aaaa0002", TWO),
                        tuple("aaaa0003", THREE));
        assertThat(instanceAt("canary--hello.localhost")).isEqualTo("aaaa0002");
        assertThat(instanceAt("hello.localhost")).isEqualTo("aaaa0003");
    }

    private String instanceAt(String host) throws Exception {
        InstanceLease lease = await(acquireAt(host));
        leases.add(lease);
        return lease.instanceId();
    }
}
