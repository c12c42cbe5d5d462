package cloud.cless.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceState;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AdminJsonTest {
    private static final Instant CREATED = Instant.parse("2025-03-01T12:00:00Z");
    private final AdminJson json = new AdminJson();

    /** {@code def} as a registered service with its first revision; default traffic unless it has some. */
    private static RegisteredService registered(ServiceDefinition def) {
        ServiceDefinition withTraffic = def.traffic() != null ? def
                : def.toBuilder().traffic(TrafficTarget.DEFAULT).build();
        return new RegisteredService(withTraffic, List.of(Revision.of(def.name(), 1, CREATED, RevisionSpec.of(def))),
                Map.of());
    }

    private List<TrafficTarget> readTraffic(String body) {
        return parse(body, json::readTraffic);
    }

    private ApiException trafficRejected(String body) {
        return catchThrowableOfType(ApiException.class, () -> readTraffic(body));
    }

    private ServiceDefinition read(String body) {
        return parse(body, json::readDefinition);
    }

    /** Reads {@code body} from a buffer, released afterwards. */
    private static <T> T parse(String body, Function<ByteBuf, T> reader) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            return reader.apply(buf);
        } finally {
            buf.release();
        }
    }

    private ApiException rejected(String body) {
        return catchThrowableOfType(ApiException.class, () -> read(body));
    }

    @Test
    void readsTheOriginalClessRequest() {
        ServiceDefinition def = read("{\"name\":\"rust\",\"image_name\":\"rust-docker\",\"image_tag\":\"latest\",\"port\":8080}");
        assertThat(def).isEqualTo(ServiceDefinition.builder("rust").imageName("rust-docker").imageTag("latest")
                .port(8080).build());
    }

    @Test
    void readsEveryField() {
        ServiceDefinition def = read("""
                {"name": "hello", "image_name": "cless-test/hello", "image_tag": "v1", "upstream": null,
                 "port": 8080, "host": "hello.localhost", "env": {"GREETING": "hi"},
                 "min_instances": 1, "max_instances": 3, "concurrency": 10,
                 "idle_timeout_seconds": 300, "idle_action": "pause", "startup_timeout_seconds": 30,
                 "readiness_path": "/ready", "memory_mb": 256, "cpus": 0.5}""");
        assertThat(def).isEqualTo(ServiceDefinition.builder("hello").imageName("cless-test/hello").imageTag("v1")
                .port(8080).host("hello.localhost").env(Map.of("GREETING", "hi")).minInstances(1).maxInstances(3)
                .concurrency(10).idleTimeoutSeconds(300).idleAction(IdleAction.PAUSE).startupTimeoutSeconds(30)
                .readinessPath("/ready").memoryMb(256).cpus(0.5).build());
    }

    @Test
    void writesEveryFieldWithNullsAndLowerCaseIdleAction() {
        ServiceDefinition def = ServiceDefinition.builder("hello").imageName("cless-test/hello").imageTag("latest")
                .port(8080).host("hello.localhost").env(Map.of("B", "2", "A", "1")).minInstances(0).maxInstances(1)
                .concurrency(0).idleTimeoutSeconds(300).idleAction(IdleAction.STOP).startupTimeoutSeconds(30)
                .build();
        assertThat(new String(json.writeDefinition(registered(def)), StandardCharsets.UTF_8)).isEqualTo(
                "{\"name\":\"hello\",\"image_name\":\"cless-test/hello\",\"image_tag\":\"latest\",\"upstream\":null,"
                        + "\"port\":8080,\"host\":\"hello.localhost\",\"env\":{\"A\":\"1\",\"B\":\"2\"},"
                        + "\"min_instances\":0,\"max_instances\":1,\"concurrency\":0,\"idle_timeout_seconds\":300,"
                        + "\"idle_action\":\"stop\",\"startup_timeout_seconds\":30,\"readiness_path\":null,"
                        + "\"memory_mb\":null,\"cpus\":null,\"traffic\":[{\"latest\":true,\"percent\":100}],"
                        + "\"latest_revision\":\"hello-00001\"}");
    }

    @Test
    void writtenDefinitionReadsBackTheSame() {
        ServiceDefinition def = ServiceDefinition.builder("up").upstream("127.0.0.1:9001").host("up.localhost")
                .env(Map.of("X", "y")).idleAction(IdleAction.PAUSE).cpus(1.5).memoryMb(64)
                .traffic(List.of(TrafficTarget.to("up-00001", 50).withTag("stable"), TrafficTarget.latest(50)))
                .build();
        ByteBuf buf = Unpooled.wrappedBuffer(json.writeDefinition(registered(def)));
        try {
            assertThat(json.readDefinition(buf)).isEqualTo(def);
        } finally {
            buf.release();
        }
    }

    @Test
    void nullEnvIsEmpty() {
        assertThat(read("{\"name\":\"a\",\"env\":null}").env()).isEmpty();
    }

    @Test
    void unknownFieldIsNamed() {
        ApiException e = rejected("{\"name\":\"a\",\"image\":\"x\"}");
        assertThat(e.status().code()).isEqualTo(400);
        assertThat(e.body().error()).isEqualTo("invalid_definition");
        assertThat(e.body().fields()).containsOnlyKeys("image");
        assertThat(e.getMessage()).contains("image");
    }

    @Test
    void typeMismatchesNameTheField() {
        assertThat(rejected("{\"name\":\"a\",\"port\":\"abc\"}").body().fields())
                .containsExactly(Map.entry("port", "must be an integer"));
        assertThat(rejected("{\"name\":\"a\",\"port\":\"8080\"}").body().fields()).containsOnlyKeys("port");
        assertThat(rejected("{\"name\":\"a\",\"port\":80.5}").body().fields()).containsOnlyKeys("port");
        assertThat(rejected("{\"name\":\"a\",\"port\":true}").body().fields()).containsOnlyKeys("port");
        assertThat(rejected("{\"name\":\"a\",\"env\":[1]}").body().fields())
                .containsExactly(Map.entry("env", "must be an object of string values"));
        assertThat(rejected("{\"name\":\"a\",\"env\":{\"A\":1}}").body().fields()).containsOnlyKeys("env.A");
        assertThat(rejected("{\"name\":\"a\",\"env\":{\"A\":null}}").body().fields()).containsOnlyKeys("env.A");
        assertThat(rejected("{\"name\":7}").body().fields()).containsExactly(Map.entry("name", "must be a string"));
        assertThat(rejected("{\"name\":\"a\",\"cpus\":\"x\"}").body().fields())
                .containsExactly(Map.entry("cpus", "must be a number"));
        assertThat(rejected("{\"name\":\"a\",\"idle_action\":\"sleep\"}").body().fields())
                .containsOnlyKeys("idle_action");
        assertThat(rejected("{\"name\":\"a\",\"port\":99999999999}").body().fields()).containsOnlyKeys("port");
        assertThat(rejected("{\"name\":\"a\",\"port\":\"abc\"}").body().error()).isEqualTo("invalid_definition");
    }

    @Test
    void malformedBodiesAreMalformedJson() {
        for (String body : List.of("", "   ", "{", "{\"name\":", "not json", "null", "[]", "\"a\"", "42",
                "{\"name\":\"a\"} {}", "{\"name\":\"a\"} x", "{\"name\":\"a\",\"name\":\"b\"}")) {
            ApiException e = rejected(body);
            assertThat(e).as(body).isNotNull();
            assertThat(e.status().code()).as(body).isEqualTo(400);
            assertThat(e.body().error()).as(body).isEqualTo("malformed_json");
            assertThat(e.body().fields()).as(body).isNull();
            assertThat(e.getMessage()).as(body).doesNotContain("cloud.cless").doesNotContain("\n");
        }
    }

    @Test
    void writesInstancesSnakeCaseWithIsoTimes() {
        Instant started = Instant.parse("2024-05-01T10:00:00Z");
        InstanceInfo ready = new InstanceInfo("i1", "hello", "abc123", 20001, InstanceState.READY, started,
                started.plusMillis(420), 420, 2, started.plusSeconds(5));
        InstanceInfo starting = new InstanceInfo("i2", "hello", null, 20002, InstanceState.STARTING, started,
                null, -1, 0, started);
        assertThat(new String(json.writeInstances(List.of(ready, starting)), StandardCharsets.UTF_8)).isEqualTo(
                "[{\"id\":\"i1\",\"service\":\"hello\",\"revision\":null,\"container_id\":\"abc123\",\"host_port\":20001,"
                        + "\"state\":\"ready\",\"started_at\":\"2024-05-01T10:00:00Z\","
                        + "\"ready_at\":\"2024-05-01T10:00:00.420Z\",\"cold_start_ms\":420,\"in_flight_requests\":2,"
                        + "\"last_activity\":\"2024-05-01T10:00:05Z\"},"
                        + "{\"id\":\"i2\",\"service\":\"hello\",\"revision\":null,\"container_id\":null,\"host_port\":20002,"
                        + "\"state\":\"starting\",\"started_at\":\"2024-05-01T10:00:00Z\",\"ready_at\":null,"
                        + "\"cold_start_ms\":null,\"in_flight_requests\":0,"
                        + "\"last_activity\":\"2024-05-01T10:00:00Z\"}]");
    }

    @Test
    void writesErrorsWithFieldsOnlyWhenThereAreSome() {
        assertThat(new String(json.write(new ErrorBody("not_found", "no such route", null)), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"not_found\",\"message\":\"no such route\"}");
        assertThat(new String(json.write(ApiException.invalidDefinition(Map.of("port", "bad")).body()),
                StandardCharsets.UTF_8)).isEqualTo(
                "{\"error\":\"invalid_definition\",\"message\":\"invalid service definition: port bad\","
                        + "\"fields\":{\"port\":\"bad\"}}");
    }

    // traffic and revisions

    @Test
    void readsTrafficInADefinitionAndLeavesItOutWhenNotGiven() {
        ServiceDefinition def = read("""
                {"name": "hello", "image_name": "img", "traffic": [
                  {"revision": "hello-00001", "percent": 90},
                  {"latest": true, "percent": 10, "tag": "canary"},
                  {"revision": "hello-00001", "tag": "stable", "latest": false},
                  {"latest": true, "percent": null}]}""");
        assertThat(def.traffic()).containsExactly(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10).withTag("canary"), TrafficTarget.to("hello-00001", 0).withTag("stable"),
                TrafficTarget.latest(0));
        assertThat(read("{\"name\":\"a\"}").traffic()).isNull();
        assertThat(read("{\"name\":\"a\",\"traffic\":null}").traffic()).isNull();
        assertThat(read("{\"name\":\"a\",\"traffic\":[]}").traffic()).isEmpty();
    }

    @Test
    void latestRevisionIsReadOnlyAndIgnored() {
        assertThat(read("{\"name\":\"a\",\"latest_revision\":\"a-00007\"}"))
                .isEqualTo(ServiceDefinition.builder("a").build());
        assertThat(read("{\"name\":\"a\",\"latest_revision\":null}"))
                .isEqualTo(ServiceDefinition.builder("a").build());
        assertThat(rejected("{\"name\":\"a\",\"latest_revision\":7}").body().fields())
                .containsExactly(Map.entry("latest_revision", "must be a string"));
    }

    @Test
    void trafficTypeErrorsNameTheEntry() {
        assertThat(rejected("{\"name\":\"a\",\"traffic\":[{\"latest\":true},{\"percent\":\"50\"}]}")
                .body().fields()).containsExactly(Map.entry("traffic[1].percent", "must be an integer"));
        assertThat(rejected("{\"name\":\"a\",\"traffic\":[{\"latest\":\"yes\"}]}").body().fields())
                .containsExactly(Map.entry("traffic[0].latest", "must be true or false"));
        assertThat(rejected("{\"name\":\"a\",\"traffic\":[{\"weight\":1}]}").body().fields())
                .containsExactly(Map.entry("traffic[0].weight", "is not a known field"));
        assertThat(rejected("{\"name\":\"a\",\"traffic\":{}}").body().fields())
                .containsExactly(Map.entry("traffic", "must be an array"));
        assertThat(rejected("{\"name\":\"a\",\"traffic\":[null]}").body().fields())
                .containsExactly(Map.entry("traffic[0]", "must be an object"));
        assertThat(rejected("{\"name\":\"a\",\"traffic\":[7]}").body().fields())
                .containsExactly(Map.entry("traffic[0]", "must be an object"));
    }

    @Test
    void readsATrafficBody() {
        assertThat(readTraffic("[{\"revision\":\"hello-00001\",\"percent\":90},{\"latest\":true,\"percent\":10}]"))
                .containsExactly(TrafficTarget.to("hello-00001", 90), TrafficTarget.latest(10));
        assertThat(readTraffic("[]")).isEmpty();
    }

    @Test
    void trafficBodyErrorsNameTheEntryAsInADefinition() {
        assertThat(trafficRejected("[{\"latest\":true},{\"percent\":1.5}]").body().fields())
                .containsExactly(Map.entry("traffic[1].percent", "must be an integer"));
        assertThat(trafficRejected("[{\"latest\":true,\"tags\":[\"a\"]}]").body().fields())
                .containsExactly(Map.entry("traffic[0].tags", "is not a known field"));
        assertThat(trafficRejected("[{\"latest\":true},null]").body().fields())
                .containsExactly(Map.entry("traffic[1]", "must be an object"));
        for (String body : List.of("", "{\"traffic\":[]}", "[", "[] []", "null", "\"latest\"")) {
            ApiException e = trafficRejected(body);
            assertThat(e).as(body).isNotNull();
            assertThat(e.body().error()).as(body).isEqualTo("malformed_json");
        }
        assertThat(trafficRejected("{}").getMessage()).contains("JSON array");
    }

    @Test
    void writesRevisionsNewestFirstWithTheirTrafficAndInstances() {
        ServiceDefinition v1 = ServiceDefinition.builder("hello").imageName("img").imageTag("v1").port(8080)
                .host("hello.localhost").env(Map.of("B", "2", "A", "1")).build();
        ServiceDefinition v2 = v1.toBuilder().imageTag("v2").readinessPath("/ready").memoryMb(64).cpus(0.5)
                .traffic(List.of(TrafficTarget.to("hello-00001", 90).withTag("stable"),
                        TrafficTarget.latest(10).withTag("canary"))).build();
        Revision first = Revision.of("hello", 1, CREATED, RevisionSpec.of(v1));
        Revision second = Revision.of("hello", 2, CREATED.plusSeconds(60), RevisionSpec.of(v2));
        Revision third = Revision.of("hello", 3, CREATED.plusSeconds(120), RevisionSpec.of(v2.toBuilder()
                .imageTag("v3").build()));
        ServiceDefinition v3 = v2.toBuilder().imageTag("v3").traffic(List.of(
                TrafficTarget.to("hello-00001", 100), TrafficTarget.to("hello-00002", 0).withTag("canary")))
                .build();
        RegisteredService service = new RegisteredService(v3, List.of(first, second, third),
                Map.of("hello-00001", CREATED, "hello-00002", CREATED.plusSeconds(90)));
        Instant now = Instant.parse("2025-03-02T00:00:00Z");

        String written = new String(json.writeRevisions(service, Map.of("hello-00001", 2L), now),
                StandardCharsets.UTF_8);

        assertThat(written).isEqualTo("[{\"name\":\"hello-00003\",\"service\":\"hello\","
                + "\"created_at\":\"2025-03-01T12:02:00Z\",\"latest\":true,\"percent\":0,\"tags\":[],"
                + "\"instances\":0,\"last_served_at\":null,\"image_name\":\"img\",\"image_tag\":\"v3\","
                + "\"upstream\":null,\"port\":8080,\"env\":{\"A\":\"1\",\"B\":\"2\"},\"readiness_path\":\"/ready\","
                + "\"memory_mb\":64,\"cpus\":0.5},"
                + "{\"name\":\"hello-00002\",\"service\":\"hello\",\"created_at\":\"2025-03-01T12:01:00Z\","
                + "\"latest\":false,\"percent\":0,\"tags\":[\"canary\"],\"instances\":0,"
                + "\"last_served_at\":\"2025-03-01T12:01:30Z\",\"image_name\":\"img\",\"image_tag\":\"v2\","
                + "\"upstream\":null,\"port\":8080,\"env\":{\"A\":\"1\",\"B\":\"2\"},\"readiness_path\":\"/ready\","
                + "\"memory_mb\":64,\"cpus\":0.5},"
                + "{\"name\":\"hello-00001\",\"service\":\"hello\",\"created_at\":\"2025-03-01T12:00:00Z\","
                + "\"latest\":false,\"percent\":100,\"tags\":[],\"instances\":2,"
                + "\"last_served_at\":\"2025-03-02T00:00:00Z\",\"image_name\":\"img\",\"image_tag\":\"v1\","
                + "\"upstream\":null,\"port\":8080,\"env\":{\"A\":\"1\",\"B\":\"2\"},\"readiness_path\":null,"
                + "\"memory_mb\":null,\"cpus\":null}]");
    }
}
