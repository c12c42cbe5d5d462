package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceValidatorTest {

    private static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);
    private final ServiceValidator validator = new ServiceValidator(false, Set.of("admin.localhost"));

    private static ServiceDefinition image(UnaryOperator<ServiceDefinition.Builder> change) {
        return DEFAULTS.apply(change.apply(ServiceDefinition.builder("hello").imageName("cless-test/hello")).build());
    }

    private static ServiceDefinition upstream(UnaryOperator<ServiceDefinition.Builder> change) {
        return DEFAULTS.apply(change.apply(ServiceDefinition.builder("hello").upstream("127.0.0.1:9001")).build());
    }

    private Map<String, String> errors(ServiceDefinition def) {
        return validator.validate(def);
    }

    @Test
    void theOriginalClessRequestIsValid() {
        ServiceDefinition def = DEFAULTS.apply(ServiceDefinition.builder("rust")
                .imageName("rust-docker").imageTag("latest").port(8080).build());
        assertThat(errors(def)).isEmpty();
        validator.check(def);
    }

    @Test
    void aFullyGivenImageDefinitionIsValid() {
        ServiceDefinition def = image(b -> b.imageTag("1.2.3").port(9000).host("api.example.com")
                .env(Map.of("GREETING", "hi", "_X1", "", "UNICODE", "grüße ☃")).minInstances(1).maxInstances(3)
                .concurrency(50).idleTimeoutSeconds(60).idleAction(IdleAction.PAUSE).startupTimeoutSeconds(120)
                .readinessPath("/healthz?full=1").memoryMb(256).cpus(0.5));
        assertThat(errors(def)).isEmpty();
    }

    @Test
    void aMinimalUpstreamDefinitionIsValid() {
        assertThat(errors(upstream(b -> b))).isEmpty();
    }

    @Test
    void severalBadFieldsAreAllReportedAtOnce() {
        ServiceDefinition def = image(b -> b.name("Bad_Name").imageName("UPPER/Case").port(0).host("x:80")
                .env(Map.of("PORT", "1")).minInstances(-1).maxInstances(0).concurrency(-1).idleTimeoutSeconds(0)
                .startupTimeoutSeconds(601).readinessPath("health").memoryMb(1).cpus(0.0));
        assertThat(errors(def)).containsOnlyKeys("name", "image_name", "port", "host", "env", "min_instances",
                "max_instances", "concurrency", "idle_timeout_seconds", "startup_timeout_seconds",
                "readiness_path", "memory_mb", "cpus");
        assertThatThrownBy(() -> validator.check(def))
                .isInstanceOfSatisfying(InvalidDefinitionException.class,
                        e -> assertThat(e.fields()).isEqualTo(errors(def)))
                .hasMessageContaining("port must be between 1 and 65535");
    }

    // name

    @ParameterizedTest
    @ValueSource(strings = {"a", "hello", "hello-world", "a1", "1a", "0", "x23456789012345678901234567890123456789012345678901234567890123"})
    void goodNames(String name) {
        assertThat(errors(image(b -> b.name(name)))).doesNotContainKey("name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Hello", "-a", "a-", "a_b", "a.b", "héllo", "a b", "a--b", "canary--hello",
            "x234567890123456789012345678901234567890123456789012345678901234"})
    void badNames(String name) {
        assertThat(errors(image(b -> b.name(name)))).containsKey("name");
    }

    @Test
    void nameIsRequired() {
        assertThat(errors(image(b -> b.name(null)))).containsEntry("name", "is required")
                .doesNotContainKey("host");
    }

    @Test
    void adminIsNotAName() {
        assertThat(errors(image(b -> b.name("admin")))).extractingByKey("name").asString().contains("reserved");
    }

    // image_name / upstream

    @Test
    void imageNameOrUpstreamIsRequired() {
        assertThat(errors(DEFAULTS.apply(ServiceDefinition.builder("hello").build())))
                .containsEntry("image_name", "is required (or give upstream instead)");
    }

    @Test
    void imageNameAndUpstreamTogetherAreRejected() {
        assertThat(errors(image(b -> b.upstream("127.0.0.1:9001")))).containsKey("upstream");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "library/nginx", "cless-test/hello", "a/b/c/d", "my_app", "my__app",
            "my.app", "my---app", "a0.b1_c2__d3-e4", "localhost/app", "localhost:5000/app", "registry.io/x/y",
            "registry.io:443/x", "Registry.IO/x", "my-registry/x", "[::1]:5000/app", "10.0.0.1:5000/app"})
    void goodImageNames(String name) {
        assertThat(errors(image(b -> b.imageName(name)))).doesNotContainKey("image_name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Nginx", "user/App", "-app", "app-", "app.", ".app", "a/", "/a", "a//b", "a___b",
            "a..b", "a._b", "app name", "bad_host_/x", "registry.io:port/x", "-reg.io/x"})
    void badImageNames(String name) {
        assertThat(errors(image(b -> b.imageName(name)))).containsKey("image_name");
    }

    @Test
    void imageNameMustNotCarryATagOrDigest() {
        assertThat(errors(image(b -> b.imageName("nginx:1.25")))).extractingByKey("image_name").asString()
                .contains("tag");
        assertThat(errors(image(b -> b.imageName("localhost:5000/nginx:1.25")))).extractingByKey("image_name")
                .asString().contains("tag");
        assertThat(errors(image(b -> b.imageName("nginx@sha256:" + "a".repeat(64))))).extractingByKey("image_name")
                .asString().contains("digest");
    }

    @Test
    void imageNameIsAtMost255Characters() {
        String ok = "a/".repeat(127) + "a";
        assertThat(ok).hasSize(255);
        assertThat(errors(image(b -> b.imageName(ok)))).doesNotContainKey("image_name");
        assertThat(errors(image(b -> b.imageName(ok + "b")))).containsEntry("image_name",
                "must be at most 255 characters");
    }

    // image_tag

    @ParameterizedTest
    @ValueSource(strings = {"latest", "1", "1.2.3", "v1-rc.2", "_x", "A_b"})
    void goodTags(String tag) {
        assertThat(errors(image(b -> b.imageTag(tag)))).doesNotContainKey("image_tag");
    }

    @Test
    void tagsHaveAtMost128Characters() {
        assertThat(errors(image(b -> b.imageTag("x".repeat(128))))).doesNotContainKey("image_tag");
        assertThat(errors(image(b -> b.imageTag("x".repeat(129))))).containsKey("image_tag");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".x", "-x", "a:b", "a/b", "a b", "ü"})
    void badTags(String tag) {
        assertThat(errors(image(b -> b.imageTag(tag)))).containsKey("image_tag");
    }

    @Test
    void tagWithUpstreamIsRejected() {
        assertThat(errors(upstream(b -> b.imageTag("latest")))).containsKey("image_tag");
    }

    // upstream

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:9001", "127.1.2.3:1", "localhost:65535", "LOCALHOST:80", "[::1]:8080",
            "[0:0:0:0:0:0:0:1]:8080"})
    void goodLoopbackUpstreams(String value) {
        assertThat(errors(upstream(b -> b.upstream(value)))).doesNotContainKey("upstream");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:0", "127.0.0.1:65536",
            "127.0.0.1:99999999", "127.0.0.1:-1", "127.0.0.1:8o", "256.0.0.1:80", "127.0.0.01:80", "1.2.3:80",
            "example.com:80", "::1:80", "[::1]", "[::g]:80", "[fe80::1%eth0]:80", "[]:80", "0.0.0.0:80",
            "[::]:80", "224.0.0.1:80", "http://127.0.0.1:80"})
    void badUpstreams(String value) {
        assertThat(errors(upstream(b -> b.upstream(value)))).containsKey("upstream");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.5:80", "192.168.1.1:8080", "[2001:db8::1]:443"})
    void remoteUpstreamsOnlyWhenAllowed(String value) {
        ServiceDefinition def = upstream(b -> b.upstream(value));
        assertThat(errors(def)).extractingByKey("upstream").asString().contains("--allow-remote-upstreams");
        assertThat(new ServiceValidator(true, Set.of()).validate(def)).isEmpty();
    }

    @Test
    void noArgValidatorRejectsRemoteUpstreamsAndReservesNoHost() {
        ServiceValidator plain = new ServiceValidator();
        assertThat(plain.validate(upstream(b -> b.upstream("10.0.0.5:80")))).containsKey("upstream");
        assertThat(plain.validate(image(b -> b.host("admin.localhost")))).isEmpty();
    }

    @Test
    void upstreamParsesItsParts() {
        assertThat(UpstreamAddress.parse("[::1]:8080")).isEqualTo(new UpstreamAddress("::1", 8080, true));
        assertThat(UpstreamAddress.parse("10.1.2.3:80")).isEqualTo(new UpstreamAddress("10.1.2.3", 80, false));
        assertThat(UpstreamAddress.parse("[::1]:8080").toString()).isEqualTo("[::1]:8080");
        assertThat(UpstreamAddress.parse("localhost:80").toSocketAddress().getPort()).isEqualTo(80);
    }

    @Test
    void containerOnlyFieldsAreRejectedWithUpstream() {
        assertThat(errors(upstream(b -> b.env(Map.of("A", "b")).readinessPath("/").memoryMb(64).cpus(1.0))))
                .containsOnlyKeys("env", "readiness_path", "memory_mb", "cpus");
    }

    // port

    @ParameterizedTest
    @ValueSource(ints = {1, 80, 8080, 65535})
    void goodPorts(int port) {
        assertThat(errors(image(b -> b.port(port)))).doesNotContainKey("port");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void badPorts(int port) {
        assertThat(errors(image(b -> b.port(port)))).containsEntry("port", "must be between 1 and 65535");
    }

    @Test
    void portIsRequiredForImagesAndRejectedWithUpstream() {
        assertThat(validator.validate(image(b -> b).toBuilder().port(null).build()))
                .containsEntry("port", "is required");
        assertThat(errors(upstream(b -> b.port(8080)))).containsKey("port");
    }

    // host

    @ParameterizedTest
    @ValueSource(strings = {"hello.localhost", "localhost", "a.b.c.d.example.com", "x-1.example", "1.2.3.4",
            "UPPER.example.com"})
    void goodHosts(String host) {
        assertThat(errors(image(b -> b.host(host)))).doesNotContainKey("host");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "hello.localhost:80", "hello.localhost.", ".hello", "a..b", "-a.b", "a-.b",
            "a_b.c", "a b", "héllo.localhost", "admin.localhost", "ADMIN.localhost"})
    void badHosts(String host) {
        assertThat(errors(image(b -> b.host(host)))).containsKey("host");
    }

    @Test
    void hostLengthAndCaseRules() {
        String label = "a".repeat(63);
        String max = String.join(".", label, label, label, "a".repeat(61));
        assertThat(max).hasSize(253);
        assertThat(errors(image(b -> b.host(max)))).doesNotContainKey("host");
        assertThat(errors(image(b -> b.host(max + "a")))).containsEntry("host", "must be at most 253 characters");
        assertThat(errors(image(b -> b.host("a".repeat(64) + ".b")))).containsKey("host");
        assertThat(validator.validate(image(b -> b).toBuilder().host("Up.example").build()))
                .containsEntry("host", "must be lower case");
        assertThat(errors(image(b -> b.host("admin.localhost")))).extractingByKey("host").asString()
                .contains("reserved");
    }

    // env

    @Test
    void goodEnv() {
        assertThat(errors(image(b -> b.env(Map.of("A", "", "_", "x", "a_1", "x=y", "port", "lower-case is fine",
                "LONG", "v".repeat(10_000)))))).doesNotContainKey("env");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1A", "A-B", "A=B", "A B", "Ä", "PORT"})
    void badEnvKeys(String key) {
        assertThat(errors(image(b -> b.env(Map.of(key, "v"))))).extractingByKey("env").asString()
                .contains("'" + key + "'");
    }

    @Test
    void envValuesMustNotContainNul() {
        assertThat(errors(image(b -> b.env(Map.of("A", "a\0b"))))).containsEntry("env",
                "value of 'A' must not contain a NUL character");
    }

    @Test
    void everyBadEnvKeyIsNamed() {
        assertThat(errors(image(b -> b.env(Map.of("PORT", "1", "1X", "2", "OK", "3")))))
                .containsEntry("env", "key '1X' must match [A-Za-z_][A-Za-z0-9_]*;"
                        + " key 'PORT' is set by cless to the container port");
    }

    // scaling

    static Stream<Arguments> scaling() {
        return Stream.of(
                Arguments.of(0, 1, null),
                Arguments.of(0, 100, null),
                Arguments.of(3, 3, null),
                Arguments.of(-1, 1, "min_instances"),
                Arguments.of(0, 0, "max_instances"),
                Arguments.of(0, 101, "max_instances"),
                Arguments.of(2, 1, "max_instances"));
    }

    @ParameterizedTest
    @MethodSource("scaling")
    void instanceCounts(int min, int max, String badField) {
        Map<String, String> errors = errors(image(b -> b.minInstances(min).maxInstances(max)));
        if (badField == null) {
            assertThat(errors).isEmpty();
        } else {
            assertThat(errors).containsOnlyKeys(badField);
        }
    }

    @Test
    void maxBelowMinSaysSo() {
        assertThat(errors(image(b -> b.minInstances(2).maxInstances(1))))
                .containsEntry("max_instances", "must be at least min_instances (2)");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1000})
    void goodConcurrency(int value) {
        assertThat(errors(image(b -> b.concurrency(value)))).isEmpty();
    }

    @Test
    void negativeConcurrencyIsRejected() {
        assertThat(errors(image(b -> b.concurrency(-1)))).containsOnlyKeys("concurrency");
    }

    // timeouts and idle action

    @ParameterizedTest
    @ValueSource(ints = {1, 300, 604_800})
    void goodIdleTimeouts(int value) {
        assertThat(errors(image(b -> b.idleTimeoutSeconds(value)))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -5, 604_801})
    void badIdleTimeouts(int value) {
        assertThat(errors(image(b -> b.idleTimeoutSeconds(value)))).containsOnlyKeys("idle_timeout_seconds");
    }

    @Test
    void pauseIsRefusedWhenTheRuntimeCannotPause() {
        ServiceValidator swarm = validator.refusingPause("swarm");

        assertThat(errors(image(b -> b.idleAction(IdleAction.PAUSE)))).isEmpty();
        assertThat(swarm.validate(image(b -> b.idleAction(IdleAction.PAUSE)))).containsExactly(
                Map.entry("idle_action", "must be 'stop': the swarm runtime cannot pause instances"));
        assertThat(swarm.validate(image(b -> b.idleAction(IdleAction.STOP)))).isEmpty();
        assertThat(swarm.validate(image(b -> b.host("admin.localhost")))).as("the other rules still apply")
                .containsOnlyKeys("host");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 30, 600})
    void goodStartupTimeouts(int value) {
        assertThat(errors(image(b -> b.startupTimeoutSeconds(value)))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 601})
    void badStartupTimeouts(int value) {
        assertThat(errors(image(b -> b.startupTimeoutSeconds(value)))).containsEntry("startup_timeout_seconds",
                "must be between 1 and 600");
    }

    @Test
    void missingValuesAreReportedWhenDefaultsWereNotApplied() {
        ServiceDefinition raw = ServiceDefinition.builder("hello").imageName("x").build();
        assertThat(errors(raw)).containsOnlyKeys("image_tag", "port", "host", "min_instances", "max_instances",
                "concurrency", "idle_timeout_seconds", "idle_action", "startup_timeout_seconds");
    }

    // readiness_path

    @ParameterizedTest
    @ValueSource(strings = {"/", "/healthz", "/a/b?c=d&e=%20", "/~x"})
    void goodReadinessPaths(String path) {
        assertThat(errors(image(b -> b.readinessPath(path)))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "healthz", "/a b", "/a\tb", "/a\r\nHost: x", "/\u007f", "/ü"})
    void badReadinessPaths(String path) {
        assertThat(errors(image(b -> b.readinessPath(path)))).containsOnlyKeys("readiness_path");
    }

    @Test
    void readinessPathLength() {
        assertThat(errors(image(b -> b.readinessPath("/" + "a".repeat(2047))))).isEmpty();
        assertThat(errors(image(b -> b.readinessPath("/" + "a".repeat(2048))))).containsOnlyKeys("readiness_path");
    }

    // resources

    @ParameterizedTest
    @ValueSource(ints = {6, 512, 1_000_000})
    void goodMemory(int mb) {
        assertThat(errors(image(b -> b.memoryMb(mb)))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 0, -1})
    void badMemory(int mb) {
        assertThat(errors(image(b -> b.memoryMb(mb)))).containsOnlyKeys("memory_mb");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 1, 2.5, 1024})
    void goodCpus(double cpus) {
        assertThat(errors(image(b -> b.cpus(cpus)))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, -1, 1024.5, Double.NaN, Double.POSITIVE_INFINITY})
    void badCpus(double cpus) {
        assertThat(errors(image(b -> b.cpus(cpus)))).containsOnlyKeys("cpus");
    }
}
