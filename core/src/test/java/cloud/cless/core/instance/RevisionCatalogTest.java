package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.ScalingSettings;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which revisions the cluster's leader decides for, with the scaling their pools run with. */
class RevisionCatalogTest {
    private final TestRegistry services = new TestRegistry(Clock.systemUTC(), 10);

    @Test
    void revisionsWithAPercentKeepTheirScalingTagOnlyOnesScaleToZeroTheRestAndUpstreamsAreLeftOut() {
        ServiceDefinition.Builder hello = LifecycleFixture.service("hello").minInstances(2).maxInstances(5)
                .concurrency(10);
        services.create(hello.build());
        services.update(hello.env(Map.of("V", "2")).build());
        services.update(hello.env(Map.of("V", "3")).build());
        services.traffic("hello", TrafficTarget.to("hello-00002", 100),
                TrafficTarget.to("hello-00003", 0).withTag("canary"));
        services.create(ServiceDefinition.builder("api").upstream("127.0.0.1:9001").build());

        Map<String, ScalingSettings> catalog = RevisionCatalog.of(services.directory);

        assertThat(catalog).containsOnlyKeys("hello-00002", "hello-00003");
        assertThat(catalog.get("hello-00002").minInstances()).isEqualTo(2);
        assertThat(catalog.get("hello-00002").maxInstances()).isEqualTo(5);
        assertThat(catalog.get("hello-00002").concurrency()).isEqualTo(10);
        assertThat(catalog.get("hello-00003").minInstances()).as("a preview keeps nothing running").isZero();
        assertThat(catalog.get("hello-00003").maxInstances()).isEqualTo(5);
    }

    @Test
    void noServiceNoRevision() {
        assertThat(RevisionCatalog.of(services.directory)).isEqualTo(Map.of());
    }
}
