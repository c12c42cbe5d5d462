package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every rule of a service's traffic, through {@link ServiceValidator#check(ServiceDefinition, Set, boolean)}. */
class TrafficRulesTest {
    private static final Set<String> REVISIONS = Set.of("hello-00001", "hello-00002");
    private final ServiceValidator validator = new ServiceValidator(false, Set.of("admin.localhost"));

    private Map<String, String> errors(List<TrafficTarget> traffic) {
        return errors(Revisions.hello("v2").toBuilder().traffic(traffic).build());
    }

    private Map<String, String> errors(ServiceDefinition def) {
        InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
                () -> validator.check(def, REVISIONS, true));
        return e == null ? Map.of() : e.fields();
    }

    @Test
    void validTrafficPasses() {
        assertThat(errors(TrafficTarget.DEFAULT)).isEmpty();
        assertThat(errors(List.of(TrafficTarget.to("hello-00001", 90), TrafficTarget.latest(10).withTag("canary"),
                TrafficTarget.to("hello-00002", 0).withTag("preview"), TrafficTarget.to("hello-00001", 0)))).isEmpty();
        assertThat(errors(List.of(TrafficTarget.to("hello-00001", 50), TrafficTarget.to("hello-00001", 50))))
                .isEmpty();
    }

    @Test
    void percentsMustAddUpToOneHundred() {
        assertThat(errors(List.of(TrafficTarget.to("hello-00001", 90))))
                .containsExactly(Map.entry("traffic", "percents must add up to 100, not 90"));
        assertThat(errors(List.of(TrafficTarget.to("hello-00001", 90), TrafficTarget.latest(20))))
                .containsExactly(Map.entry("traffic", "percents must add up to 100, not 110"));
        assertThat(errors(List.of(TrafficTarget.latest(0).withTag("a"))))
                .containsExactly(Map.entry("traffic", "percents must add up to 100, not 0"));
    }

    @Test
    void eachPercentIsBetweenZeroAndOneHundred() {
        assertThat(errors(List.of(TrafficTarget.latest(100), TrafficTarget.to("hello-00001", -1))))
                .containsExactly(Map.entry("traffic[1].percent", "must be between 0 and 100"));
        assertThat(errors(List.of(TrafficTarget.latest(101))))
                .containsExactly(Map.entry("traffic[0].percent", "must be between 0 and 100"));
    }

    @Test
    void anEmptyListIsRefused() {
        assertThat(errors(List.of())).containsOnlyKeys("traffic");
    }

    @Test
    void atMostOneHundredEntries() {
        List<TrafficTarget> many = new ArrayList<>();
        many.add(TrafficTarget.latest(100));
        for (int i = 0; i < TrafficRules.MAX_ENTRIES; i++) {
            many.add(TrafficTarget.to("hello-00001", 0));
        }
        assertThat(errors(many)).containsExactly(Map.entry("traffic", "must have at most 100 entries"));
    }

    @Test
    void anEntryNamesARevisionOrLatestButNotBoth() {
        assertThat(errors(List.of(TrafficTarget.latest(100), new TrafficTarget(null, false, 0, null))))
                .containsExactly(Map.entry("traffic[1]", "give a revision (e.g. hello-00001) or \"latest\": true"));
        assertThat(errors(List.of(new TrafficTarget("hello-00001", true, 100, null))))
                .containsExactly(Map.entry("traffic[0]", "give either revision or \"latest\": true, not both"));
    }

    @Test
    void anUnknownRevisionIsNamedWithItsEntry() {
        assertThat(errors(List.of(TrafficTarget.to("hello-00001", 90), TrafficTarget.to("hello-00009", 10))))
                .containsExactly(Map.entry("traffic[1].revision", "service 'hello' has no revision 'hello-00009'"));
        // Another service's revision is not this one's.
        assertThat(errors(List.of(TrafficTarget.to("other-00001", 100)))).containsOnlyKeys("traffic[0].revision");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Canary", "-a", "a-", "a_b", "a.b", "x234567890123456789012345678901234567890123456789012345678901234"})
    void tagsAreDnsLabels(String tag) {
        assertThat(errors(List.of(TrafficTarget.latest(100).withTag(tag)))).containsOnlyKeys("traffic[0].tag");
    }

    @Test
    void tagsMustNotContainTheSeparator() {
        assertThat(errors(List.of(TrafficTarget.latest(100).withTag("a--b")))).containsExactly(Map.entry(
                "traffic[0].tag", "must not contain '--' (it separates the tag from the host in <tag>--<host>)"));
    }

    @Test
    void tagsAreUniquePerService() {
        assertThat(errors(List.of(TrafficTarget.latest(100).withTag("canary"),
                TrafficTarget.to("hello-00001", 0).withTag("canary")))).containsExactly(Map.entry(
                "traffic[1].tag", "is already the tag of traffic[0]; tags are unique per service"));
    }

    @Test
    void aTagMustLeaveItsHostValid() {
        String tag = "t".repeat(56); // 56 + "--" + "hello" = 63: the longest first label
        assertThat(errors(List.of(TrafficTarget.latest(100).withTag(tag)))).isEmpty();
        assertThat(errors(List.of(TrafficTarget.latest(100).withTag(tag + "t")))).extractingByKey("traffic[0].tag")
                .asString().contains("longer than 63 characters");

        String longHost = "b" + ("." + "a".repeat(60)).repeat(4); // 245 characters
        ServiceDefinition fits = Revisions.hello("v2").toBuilder().host(longHost)
                .traffic(List.of(TrafficTarget.latest(100).withTag("canary"))).build(); // 253
        assertThat(errors(fits)).isEmpty();
        ServiceDefinition over = fits.toBuilder().traffic(List.of(TrafficTarget.latest(100).withTag("canary1")))
                .build();
        assertThat(errors(over)).extractingByKey("traffic[0].tag").asString().contains("at most 253");
    }

    @Test
    void aTagMustNotReachTheAdminHost() {
        ServiceDefinition def = Revisions.hello("v2").toBuilder().host("localhost")
                .traffic(List.of(TrafficTarget.latest(100).withTag("admin"))).build();
        ServiceValidator reserving = new ServiceValidator(false, Set.of("admin--localhost"));
        InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
                () -> reserving.check(def, REVISIONS, true));
        assertThat(e.fields()).extractingByKey("traffic[0].tag").asString().contains("reserved for the admin API");
    }

    @Test
    void trafficErrorsComeWithTheDefinitionsOwn() {
        ServiceDefinition def = Revisions.hello("v2").toBuilder().port(0)
                .traffic(List.of(TrafficTarget.to("hello-00009", 100).withTag("Bad"))).build();
        assertThat(errors(def)).containsOnlyKeys("port", "traffic[0].revision", "traffic[0].tag");
    }

    @Test
    void namesWithTheSeparatorAreRefusedForNewServicesOnly() {
        ServiceDefinition legacy = Revisions.DEFAULTS.apply(ServiceDefinition.builder("old--name")
                .imageName("img").traffic(TrafficTarget.DEFAULT).build());
        InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
                () -> validator.check(legacy, Set.of("old--name-00001"), true));
        assertThat(e.fields()).containsExactly(Map.entry("name",
                "must not contain '--' (reserved for tagged hosts, <tag>--<host>)"));
        // A service stored before the rule keeps its name through later changes.
        validator.check(legacy, Set.of("old--name-00001"), false);
        // Other name rules still hold for it.
        ServiceDefinition bad = legacy.toBuilder().name("Old--name").build();
        assertThat(catchThrowableOfType(InvalidDefinitionException.class,
                () -> validator.check(bad, Set.of(), false)).fields()).containsKey("name");
    }
}
