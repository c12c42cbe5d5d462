package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** What a change does to a service: which changes make a revision, traffic, last-served times, retention. */
class ChangePlannerTest {
    private static final Instant NOW = Revisions.T0.plusSeconds(3_600);
    private final ChangePlanner planner = new ChangePlanner(new ServiceValidator(), 3);

    private RegisteredService created() {
        return planner.create(Revisions.hello("v1"), 1, Revisions.T0).current();
    }

    private ServiceChange update(RegisteredService service, UnaryOperator<ServiceDefinition.Builder> change) {
        ServiceDefinition requested = change.apply(service.definition().toBuilder().traffic(null)).build();
        return planner.change(ServiceChange.Kind.UPDATE, service, requested, NOW);
    }

    private ServiceChange traffic(RegisteredService service, TrafficTarget... traffic) {
        return planner.change(ServiceChange.Kind.TRAFFIC, service,
                service.definition().toBuilder().traffic(List.of(traffic)).build(), NOW);
    }

    @Test
    void creatingAServiceMakesItsFirstRevisionWithAllTraffic() {
        ServiceChange change = planner.create(Revisions.hello("v1"), 1, Revisions.T0);
        RegisteredService service = change.current();
        assertThat(change.kind()).isEqualTo(ServiceChange.Kind.CREATE);
        assertThat(change.previous()).isNull();
        assertThat(change.created()).isEqualTo(Revision.of("hello", 1, Revisions.T0,
                RevisionSpec.of(Revisions.hello("v1"))));
        assertThat(service.revisions()).containsExactly(change.created());
        assertThat(service.definition().traffic()).isEqualTo(TrafficTarget.DEFAULT);
        assertThat(service.traffic().percentOf("hello-00001")).isEqualTo(100);
        assertThat(service.lastServed()).containsExactly(Map.entry("hello-00001", Revisions.T0));
        assertThat(change.trafficChanged()).isTrue();
    }

    @Test
    void aNameUsedBeforeContinuesItsNumbering() {
        assertThat(planner.create(Revisions.hello("v1"), 8, Revisions.T0).created().name()).isEqualTo("hello-00008");
    }

    @Test
    void aNewServiceMayNameItsFirstRevisionInItsTraffic() {
        ServiceDefinition def = Revisions.hello("v1").toBuilder()
                .traffic(List.of(TrafficTarget.to("hello-00001", 100).withTag("first"))).build();
        assertThat(planner.create(def, 1, Revisions.T0).current().traffic().tags()).containsOnlyKeys("first");
        assertThatThrownBy(() -> planner.create(def.toBuilder()
                .traffic(List.of(TrafficTarget.to("hello-00002", 100))).build(), 1, Revisions.T0))
                .isInstanceOfSatisfying(InvalidDefinitionException.class,
                        e -> assertThat(e.fields()).containsOnlyKeys("traffic[0].revision"));
    }

    static Stream<Arguments> containerChanges() {
        return Stream.of(
                Arguments.of("image_name", (UnaryOperator<ServiceDefinition.Builder>) b -> b.imageName("other/img")),
                Arguments.of("image_tag", (UnaryOperator<ServiceDefinition.Builder>) b -> b.imageTag("v2")),
                Arguments.of("upstream", (UnaryOperator<ServiceDefinition.Builder>) b -> b.imageName(null)
                        .imageTag(null).port(null).upstream("127.0.0.1:9001")),
                Arguments.of("port", (UnaryOperator<ServiceDefinition.Builder>) b -> b.port(9000)),
                Arguments.of("env", (UnaryOperator<ServiceDefinition.Builder>) b -> b.env(Map.of("A", "1"))),
                Arguments.of("readiness_path", (UnaryOperator<ServiceDefinition.Builder>) b -> b.readinessPath("/ok")),
                Arguments.of("memory_mb", (UnaryOperator<ServiceDefinition.Builder>) b -> b.memoryMb(64)),
                Arguments.of("cpus", (UnaryOperator<ServiceDefinition.Builder>) b -> b.cpus(0.5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("containerChanges")
    void aChangeToWhatContainersRunMakesTheNextRevision(String field, UnaryOperator<ServiceDefinition.Builder> c) {
        RegisteredService v1 = created();
        ServiceChange change = update(v1, c);
        assertThat(change.created()).as(field).isNotNull();
        assertThat(change.created().name()).isEqualTo("hello-00002");
        assertThat(change.created().createdAt()).isEqualTo(NOW);
        assertThat(change.created().spec()).isEqualTo(RevisionSpec.of(change.current().definition()));
        assertThat(change.current().revisions()).containsExactly(v1.latest(), change.created());
        // The first revision's snapshot stays what it was.
        assertThat(change.current().revisions().get(0)).isEqualTo(v1.latest());
    }

    static Stream<Arguments> inPlaceChanges() {
        return Stream.of(
                Arguments.of("min_instances", (UnaryOperator<ServiceDefinition.Builder>) b -> b.minInstances(1)),
                Arguments.of("max_instances", (UnaryOperator<ServiceDefinition.Builder>) b -> b.maxInstances(5)),
                Arguments.of("concurrency", (UnaryOperator<ServiceDefinition.Builder>) b -> b.concurrency(10)),
                Arguments.of("idle_timeout_seconds",
                        (UnaryOperator<ServiceDefinition.Builder>) b -> b.idleTimeoutSeconds(60)),
                Arguments.of("idle_action", (UnaryOperator<ServiceDefinition.Builder>) b -> b.idleAction(IdleAction.PAUSE)),
                Arguments.of("startup_timeout_seconds",
                        (UnaryOperator<ServiceDefinition.Builder>) b -> b.startupTimeoutSeconds(90)),
                Arguments.of("host", (UnaryOperator<ServiceDefinition.Builder>) b -> b.host("other.localhost")),
                Arguments.of("nothing", (UnaryOperator<ServiceDefinition.Builder>) b -> b));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inPlaceChanges")
    void scalingHostAndTimeoutsChangeInPlace(String field, UnaryOperator<ServiceDefinition.Builder> c) {
        RegisteredService v1 = created();
        ServiceChange change = update(v1, c);
        assertThat(change.created()).as(field).isNull();
        assertThat(change.current().revisions()).containsExactly(v1.latest());
        assertThat(change.trafficChanged()).isFalse();
        assertThat(change.current().lastServed()).isEqualTo(v1.lastServed());
    }

    @Test
    void latestTrafficFollowsTheNewRevision() {
        ServiceChange change = update(created(), b -> b.imageTag("v2"));
        assertThat(change.current().definition().traffic()).isEqualTo(TrafficTarget.DEFAULT);
        assertThat(change.current().traffic().percentOf("hello-00002")).isEqualTo(100);
        assertThat(change.trafficChanged()).isTrue();
        // Both served as of this change: the old one until now, the new one from now.
        assertThat(change.current().lastServed())
                .containsOnly(Map.entry("hello-00001", NOW), Map.entry("hello-00002", NOW));
    }

    @Test
    void trafficThatNamesRevisionsGivesANewOneNone() {
        RegisteredService pinned = traffic(created(), TrafficTarget.to("hello-00001", 100)).current();
        ServiceChange change = update(pinned, b -> b.imageTag("v2"));
        assertThat(change.created().name()).isEqualTo("hello-00002");
        assertThat(change.current().traffic().percentOf("hello-00001")).isEqualTo(100);
        assertThat(change.current().traffic().serves("hello-00002")).isFalse();
        assertThat(change.trafficChanged()).isFalse();
        assertThat(change.current().lastServed()).doesNotContainKey("hello-00002");
    }

    @Test
    void aRequestWithoutTrafficKeepsTheServicesAndOneWithTrafficReplacesIt() {
        RegisteredService split = traffic(update(created(), b -> b.imageTag("v2")).current(),
                TrafficTarget.to("hello-00001", 50), TrafficTarget.latest(50).withTag("new")).current();
        ServiceChange kept = update(split, b -> b.maxInstances(3));
        assertThat(kept.current().definition().traffic()).isEqualTo(split.definition().traffic());

        ServiceChange replaced = update(split, b -> b.traffic(TrafficTarget.DEFAULT));
        assertThat(replaced.current().definition().traffic()).isEqualTo(TrafficTarget.DEFAULT);
        assertThat(replaced.trafficChanged()).isTrue();
    }

    @Test
    void aPutMayMakeARevisionAndSendTrafficToItAtOnce() {
        ServiceChange change = update(traffic(created(), TrafficTarget.to("hello-00001", 100)).current(),
                b -> b.imageTag("v2").traffic(List.of(TrafficTarget.to("hello-00001", 90),
                        TrafficTarget.to("hello-00002", 10).withTag("canary"))));
        assertThat(change.current().traffic().percentOf("hello-00002")).isEqualTo(10);
        assertThat(change.current().traffic().tags()).containsOnlyKeys("canary");
    }

    @Test
    void invalidTrafficIsRefusedWithItsEntry() {
        assertThatThrownBy(() -> traffic(created(), TrafficTarget.to("hello-00001", 90),
                TrafficTarget.to("hello-00002", 10)))
                .isInstanceOfSatisfying(InvalidDefinitionException.class, e -> assertThat(e.fields())
                        .containsOnlyKeys("traffic[1].revision"));
    }

    @Test
    void theNewestRevisionsStayAndOlderOnesWithoutTrafficGo() {
        RegisteredService service = created();
        for (int i = 2; i <= 3; i++) {
            String tag = "v" + i;
            ServiceChange change = update(service, b -> b.imageTag(tag));
            assertThat(change.deleted()).isEmpty();
            service = change.current();
        }
        ServiceChange fourth = update(service, b -> b.imageTag("v4"));
        assertThat(fourth.deleted()).extracting(Revision::name).containsExactly("hello-00001");
        assertThat(fourth.current().revisions()).extracting(Revision::name)
                .containsExactly("hello-00002", "hello-00003", "hello-00004");
        assertThat(fourth.current().lastServed()).doesNotContainKey("hello-00001");
    }

    @Test
    void olderRevisionsWithTrafficOrATagAreKept() {
        RegisteredService service = created();
        service = update(service, b -> b.imageTag("v2")).current();
        service = traffic(service, TrafficTarget.to("hello-00001", 100),
                TrafficTarget.to("hello-00002", 0).withTag("old"), TrafficTarget.latest(0)).current();
        for (int i = 3; i <= 6; i++) {
            String tag = "v" + i;
            service = update(service, b -> b.imageTag(tag)).current();
        }
        assertThat(service.revisions()).extracting(Revision::name)
                .containsExactly("hello-00001", "hello-00002", "hello-00004", "hello-00005", "hello-00006");
        // Once its traffic moves away, an old revision goes with the change that moved it.
        ServiceChange moved = traffic(service, TrafficTarget.latest(100));
        assertThat(moved.deleted()).extracting(Revision::name).containsExactly("hello-00001", "hello-00002");
        assertThat(moved.current().revisions()).extracting(Revision::name)
                .containsExactly("hello-00004", "hello-00005", "hello-00006");
    }

    @Test
    void aRevisionNamedWithZeroPercentAndNoTagIsKept() {
        RegisteredService service = traffic(created(), TrafficTarget.latest(100), TrafficTarget.to("hello-00001", 0))
                .current();
        for (int i = 2; i <= 5; i++) {
            String tag = "v" + i;
            service = update(service, b -> b.imageTag(tag)).current();
        }
        assertThat(service.revisions()).extracting(Revision::name).first().isEqualTo("hello-00001");
    }

    @Test
    void aTrafficChangeMarksWhatServedBeforeAndAfter() {
        RegisteredService two = traffic(update(created(), b -> b.imageTag("v2")).current(),
                TrafficTarget.to("hello-00001", 100)).current();
        Instant later = NOW.plusSeconds(60);
        ServiceChange change = planner.change(ServiceChange.Kind.TRAFFIC, two, two.definition().toBuilder()
                .traffic(List.of(TrafficTarget.to("hello-00002", 100))).build(), later);
        assertThat(change.current().lastServed())
                .containsOnly(Map.entry("hello-00001", later), Map.entry("hello-00002", later));
    }

    @Test
    void lastServedTimesOrderChangesEvenWithinOneMillisecond() {
        RegisteredService two = update(created(), b -> b.imageTag("v2")).current(); // both marked NOW
        ServiceChange back = planner.change(ServiceChange.Kind.TRAFFIC, two, two.definition().toBuilder()
                .traffic(List.of(TrafficTarget.to("hello-00001", 100))).build(), NOW);
        assertThat(back.current().lastServed())
                .containsOnly(Map.entry("hello-00001", NOW.plusMillis(1)), Map.entry("hello-00002", NOW.plusMillis(1)));
        // A clock that stepped back still moves the times on.
        ServiceChange again = planner.change(ServiceChange.Kind.TRAFFIC, back.current(), two.definition(),
                NOW.minusSeconds(30));
        assertThat(again.current().lastServed().values()).containsOnly(NOW.plusMillis(2));
    }

    @Test
    void aRevisionIsDeletedOnlyWhenNothingUsesIt() {
        RegisteredService service = update(update(created(), b -> b.imageTag("v2")).current(),
                b -> b.imageTag("v3")).current();
        service = traffic(service, TrafficTarget.to("hello-00001", 90), TrafficTarget.latest(10).withTag("canary"),
                TrafficTarget.to("hello-00001", 0).withTag("stable")).current();
        RegisteredService before = service;

        assertThatThrownBy(() -> planner.deleteRevision(before, "hello-00003"))
                .isInstanceOf(RevisionInUseException.class).hasMessageContaining("is the latest");
        assertThatThrownBy(() -> planner.deleteRevision(before, "hello-00001"))
                .isInstanceOf(RevisionInUseException.class)
                .hasMessageContaining("has 90% of the traffic and has the tag stable");
        assertThatThrownBy(() -> planner.deleteRevision(before, "hello-00009"))
                .isInstanceOf(RevisionNotFoundException.class)
                .hasMessage("service 'hello' has no revision 'hello-00009'");

        ServiceChange deleted = planner.deleteRevision(before, "hello-00002");
        assertThat(deleted.deleted()).extracting(Revision::name).containsExactly("hello-00002");
        assertThat(deleted.current().revisions()).extracting(Revision::name)
                .containsExactly("hello-00001", "hello-00003");
        assertThat(deleted.trafficChanged()).isFalse();
        assertThat(deleted.current().definition()).isEqualTo(before.definition());
    }

    @Test
    void theHistoryKeepsAtLeastOne() {
        assertThatThrownBy(() -> new ChangePlanner(new ServiceValidator(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        ChangePlanner one = new ChangePlanner(new ServiceValidator(), 1);
        RegisteredService first = one.create(Revisions.hello("v1"), 1, Revisions.T0).current();
        ServiceChange second = one.change(ServiceChange.Kind.UPDATE, first,
                Revisions.hello("v2"), NOW);
        assertThat(second.current().revisions()).extracting(Revision::name).containsExactly("hello-00002");
        assertThat(second.deleted()).extracting(Revision::name).containsExactly("hello-00001");
        assertThat(Set.copyOf(second.current().lastServed().keySet())).containsExactly("hello-00002");
    }
}
