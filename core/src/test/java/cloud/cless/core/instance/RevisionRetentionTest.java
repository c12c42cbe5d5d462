package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Revisions that fall out of a short history are deleted with their containers, after their last requests. */
class RevisionRetentionTest extends LifecycleFixture {

    @Override
    int revisionHistory() {
        return 1;
    }

    @Test
    void aRevisionDeletedByRetentionDrainsItsInstancesAndRemovesThemWithTheirPorts() throws Exception {
        ServiceDefinition v1 = registered(service("hello").env(Map.of("V", "1")).build());
        InstanceLease old = lease(v1);
        int port = old.address().getPort();

        updated(v1, service("hello").env(Map.of("V", "2")).build());

        assertThat(services.service("hello").revisions()).extracting(Revision::name).containsExactly("hello-00002");
        assertThat(old.retired()).isDone();
        assertThat(manager.instances("hello")).as("a deleted revision's instances are not listed").isEmpty();
        assertThat(meters.find("cless.instances").tag("revision", "hello-00001").gauges()).isEmpty();
        assertThat(runtime.containers).as("its request is still in flight").hasSize(1);
        InstanceLease fresh = lease(v1);
        assertThat(versionOf(fresh)).isEqualTo("2");

        old.release();
        waitUntil(() -> runtime.containers.size() == 1 && !ports.held.contains(port));
        assertThat(manager.instances("hello")).extracting(InstanceInfo::revision).containsExactly("hello-00002");
    }
}
