package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** Which revision serves an acquire, and what a revision's pool is for: pure, over hand-made services. */
class RevisionSelectionTest {
    private static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);

    /** Draws {@code value} every time. */
    private static RandomGenerator drawing(int value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return value;
            }

            @Override
            public int nextInt(int bound) {
                return value;
            }
        };
    }

    /** hello with revisions 1 to 3 (3 is the latest) and {@code traffic}. */
    private static RegisteredService hello(TrafficTarget... traffic) {
        ServiceDefinition def = ServiceDefinition.builder("hello").imageName("cless-test/hello").imageTag("latest")
                .port(8080).host("hello.localhost").env(Map.of("V", "3")).minInstances(2).maxInstances(4)
                .concurrency(0).idleTimeoutSeconds(60).idleAction(IdleAction.STOP).startupTimeoutSeconds(10)
                .traffic(List.of(traffic)).build();
        List<Revision> revisions = List.of(revision(1), revision(2), revision(3));
        return new RegisteredService(def, revisions, Map.of());
    }

    private static Revision revision(int number) {
        return Revision.of("hello", number, Instant.EPOCH, new RevisionSpec("cless-test/hello", "latest", null, 8080,
                Map.of("V", Integer.toString(number)), null, null, null));
    }

    private static final TrafficTarget ONE_AT_30 = TrafficTarget.to("hello-00001", 30);
    private static final TrafficTarget LATEST_AT_70 = TrafficTarget.latest(70);

    @Test
    void aRoutedRevisionThatStillHasAPercentIsKept() {
        RegisteredService now = hello(ONE_AT_30, LATEST_AT_70);

        assertThat(RevisionSelection.select(now, "hello-00001", null, drawing(99)).name()).isEqualTo("hello-00001");
        assertThat(RevisionSelection.select(now, "hello-00003", null, drawing(0)).name()).isEqualTo("hello-00003");
    }

    @Test
    void aRoutedRevisionThatLostItsPercentIsChosenAgainByTheTrafficNow() {
        RegisteredService now = hello(ONE_AT_30, LATEST_AT_70, TrafficTarget.to("hello-00002", 0).withTag("old"));

        assertThat(RevisionSelection.select(now, "hello-00002", null, drawing(29)).name())
                .as("a tag does not keep a request that came by the traffic").isEqualTo("hello-00001");
        assertThat(RevisionSelection.select(now, "hello-00002", null, drawing(30)).name()).isEqualTo("hello-00003");
        assertThat(RevisionSelection.select(now, null, null, drawing(10)).name()).isEqualTo("hello-00001");
    }

    @Test
    void aTagsRequestGoesWhereTheTagPointsNowAndNowhereOnceItIsGone() {
        RegisteredService tagged = hello(LATEST_AT_70.withTag("canary"), TrafficTarget.to("hello-00002", 30),
                TrafficTarget.to("hello-00001", 0).withTag("old"));

        assertThat(RevisionSelection.select(tagged, "hello-00001", "old", drawing(50)).name())
                .as("whatever the percents").isEqualTo("hello-00001");
        assertThat(RevisionSelection.select(tagged, "hello-00003", "canary", drawing(99)).name())
                .isEqualTo("hello-00003");
        RegisteredService moved = hello(TrafficTarget.latest(100), TrafficTarget.to("hello-00002", 0).withTag("old"));
        assertThat(RevisionSelection.select(moved, "hello-00001", "old", drawing(0)).name())
                .as("the tag moved: its host leads to its revision now").isEqualTo("hello-00002");
        assertThat(RevisionSelection.select(moved, "hello-00003", "canary", drawing(0))).as("tag gone").isNull();
    }

    @Test
    void aRevisionServesTrafficATagOrNothing() {
        RegisteredService now = hello(ONE_AT_30, LATEST_AT_70, TrafficTarget.to("hello-00002", 0).withTag("preview"));

        assertThat(Serving.of(now, "hello-00001")).isEqualTo(Serving.TRAFFIC);
        assertThat(Serving.of(now, "hello-00003")).isEqualTo(Serving.TRAFFIC);
        assertThat(Serving.of(now, "hello-00002")).isEqualTo(Serving.TAG);
        RegisteredService later = hello(TrafficTarget.latest(100), TrafficTarget.to("hello-00002", 0));
        assertThat(Serving.of(later, "hello-00002")).as("named with 0 and no tag").isEqualTo(Serving.NONE);
        assertThat(Serving.of(later, "hello-00001")).isEqualTo(Serving.NONE);
        assertThat(Serving.of(null, "hello-00001")).as("service gone").isEqualTo(Serving.NONE);
        assertThat(Serving.of(later, "other-00001")).isEqualTo(Serving.NONE);
    }

    @Test
    void aTagOnlyRevisionKeepsNoInstanceRunningButScalesLikeTheService() {
        RegisteredService now = hello(TrafficTarget.latest(100));
        ResolvedService spec = ResolvedService.of(now, now.revision("hello-00002").orElseThrow(), DEFAULTS);

        assertThat(spec.container().env()).containsEntry("V", "2");
        assertThat(spec.scaling().minInstances()).isEqualTo(2);
        assertThat(Serving.TRAFFIC.applyTo(spec)).isSameAs(spec);
        ResolvedService preview = Serving.TAG.applyTo(spec);
        assertThat(preview.scaling().minInstances()).isZero();
        assertThat(preview.scaling().maxInstances()).isEqualTo(4);
        assertThat(preview.scaling().idleTimeout()).isEqualTo(spec.scaling().idleTimeout());
        assertThat(preview.revision()).isEqualTo("hello-00002");
    }
}
