package cloud.cless.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.core.cluster.DatabaseLink;
import cloud.cless.core.cluster.ReplicaStatus;
import cloud.cless.core.cluster.RevisionActivity;
import cloud.cless.core.cluster.RevisionScale;
import cloud.cless.core.cluster.ScalePlan;
import cloud.cless.core.cluster.ScaleToZeroDecision;
import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceState;
import cloud.cless.core.service.ServiceDefinition;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client subcommands against the real admin API, parsed exactly as {@code cless} parses them. */
class ClientCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture();
    }

    @AfterEach
    void stop() throws InterruptedException {
        api.close();
    }

    @Test
    void createByFlagsSendsOnlyTheGivenFieldsAndPrintsTheResult() {
        CliRun created = cless("services", "create", "--name", "hello", "--image", "cless-test/hello",
                "--tag", "v1", "--port", "9000", "--env", "A=1", "--env", "B=x=y", "--max-instances", "3",
                "--idle-timeout", "5m", "--idle-action", "pause", "--readiness-path", "/ready",
                "--memory-mb", "64", "--cpus", "0.5");

        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.out()).containsPattern("(?m)^name\\s+hello$")
                .containsPattern("(?m)^host\\s+hello\\.localhost$")
                .containsPattern("(?m)^env\\s+A=1$")
                .containsPattern("(?m)^\\s+B=x=y$")
                .containsPattern("(?m)^upstream\\s+-$");
        ServiceDefinition stored = stored("hello");
        assertThat(stored.imageName()).isEqualTo("cless-test/hello");
        assertThat(stored.imageTag()).isEqualTo("v1");
        assertThat(stored.port()).isEqualTo(9000);
        assertThat(stored.env()).containsExactlyInAnyOrderEntriesOf(Map.of("A", "1", "B", "x=y"));
        assertThat(stored.maxInstances()).isEqualTo(3);
        assertThat(stored.idleTimeoutSeconds()).isEqualTo(300);
        assertThat(stored.idleAction().wireName()).isEqualTo("pause");
        assertThat(stored.readinessPath()).isEqualTo("/ready");
        assertThat(stored.memoryMb()).isEqualTo(64);
        assertThat(stored.cpus()).isEqualTo(0.5);
        // Not given: the API's defaults.
        assertThat(stored.minInstances()).isZero();
        assertThat(stored.startupTimeoutSeconds()).isEqualTo(30);
    }

    @Test
    void createFromAFileWithJsonOutput() throws IOException {
        Path file = dir.resolve("def.json");
        Files.writeString(file,
                "{\"name\":\"rust\",\"image_name\":\"rust-docker\",\"image_tag\":\"latest\",\"port\":8080}");

        CliRun created = cless("services", "create", "--file", file.toString(), "--json");

        assertThat(created.code()).as(created.err()).isZero();
        JsonNode answer = json(created.out());
        assertThat(answer.get("name").asText()).isEqualTo("rust");
        assertThat(answer.get("host").asText()).isEqualTo("rust.localhost");
        assertThat(stored("rust").imageName()).isEqualTo("rust-docker");
    }

    @Test
    void createReadsTheDefinitionFromStdinForADash() {
        java.io.InputStream stdin = System.in;
        System.setIn(new java.io.ByteArrayInputStream(
                "{\"name\":\"piped\",\"upstream\":\"127.0.0.1:9001\"}".getBytes(StandardCharsets.UTF_8)));
        try {
            CliRun created = cless("services", "create", "--file", "-");
            assertThat(created.code()).as(created.err()).isZero();
        } finally {
            System.setIn(stdin);
        }
        assertThat(stored("piped").upstream()).isEqualTo("127.0.0.1:9001");
    }

    @Test
    void listAsTableAndAsJson() {
        assertThat(cless("services", "create", "--name", "web", "--image", "cless-test/hello").code()).isZero();
        assertThat(cless("services", "create", "--name", "api", "--upstream", "127.0.0.1:9001",
                "--concurrency", "4").code()).isZero();

        CliRun table = cless("services", "list");
        assertThat(table.code()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "HOST", "IMAGE/UPSTREAM", "PORT", "MIN",
                "MAX", "CONCURRENCY", "IDLE");
        assertThat(lines.get(1).split("\\s+")).containsExactly("api", "api.localhost", "127.0.0.1:9001", "-", "0",
                "1", "4", "300s");
        assertThat(lines.get(2).split("\\s+")).containsExactly("web", "web.localhost", "cless-test/hello:latest",
                "8080", "0", "1", "0", "300s");
        // Columns line up: every row's second column starts where the header's does.
        int hostColumn = lines.get(0).indexOf("HOST");
        assertThat(lines).allSatisfy(line -> assertThat(line.charAt(hostColumn - 1)).isEqualTo(' '));
        assertThat(lines.get(2).indexOf("web.localhost")).isEqualTo(hostColumn);

        CliRun asJson = cless("services", "list", "--json");
        assertThat(asJson.code()).isZero();
        JsonNode array = json(asJson.out());
        assertThat(array.isArray()).isTrue();
        assertThat(names(array)).containsExactly("api", "web");
    }

    @Test
    void getAsKeyValueTableAndAsJson() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();

        CliRun table = cless("services", "get", "hello");
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.out().lines().map(l -> l.split("\\s+")[0]).toList()).containsExactly("name", "image_name",
                "image_tag", "upstream", "port", "host", "env", "min_instances", "max_instances", "concurrency",
                "idle_timeout_seconds", "idle_action", "startup_timeout_seconds", "readiness_path", "memory_mb",
                "cpus", "traffic", "latest_revision");
        assertThat(table.out()).containsPattern("(?m)^image_tag\\s+latest$").containsPattern("(?m)^env\\s+-$")
                .containsPattern("(?m)^traffic\\s+latest=100%$").containsPattern("(?m)^latest_revision\\s+hello-00001$");

        CliRun asJson = cless("services", "get", "hello", "--json");
        assertThat(json(asJson.out()).get("image_name").asText()).isEqualTo("cless-test/hello");

        CliRun missing = cless("services", "get", "nope");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no service named 'nope'").contains("HTTP 404 not_found");
        assertThat(missing.out()).isEmpty();
    }

    @Test
    void updateWithFlagsChangesOnlyThoseFields() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello", "--tag", "v1",
                "--port", "9000", "--env", "A=1", "--max-instances", "3", "--host", "hi.example").code()).isZero();

        CliRun updated = cless("services", "update", "hello", "--env", "B=2", "--concurrency", "4", "--json");

        assertThat(updated.code()).as(updated.err()).isZero();
        assertThat(json(updated.out()).get("concurrency").asInt()).isEqualTo(4);
        ServiceDefinition stored = stored("hello");
        assertThat(stored.concurrency()).isEqualTo(4);
        assertThat(stored.env()).containsExactlyInAnyOrderEntriesOf(Map.of("A", "1", "B", "2"));
        assertThat(stored.imageName()).isEqualTo("cless-test/hello");
        assertThat(stored.imageTag()).isEqualTo("v1");
        assertThat(stored.port()).isEqualTo(9000);
        assertThat(stored.maxInstances()).isEqualTo(3);
        assertThat(stored.host()).isEqualTo("hi.example");
    }

    @Test
    void updateToAnUpstreamDropsTheImageAndItsPort() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();

        CliRun updated = cless("services", "update", "hello", "--upstream", "127.0.0.1:9001");

        assertThat(updated.code()).as(updated.err()).isZero();
        ServiceDefinition stored = stored("hello");
        assertThat(stored.upstream()).isEqualTo("127.0.0.1:9001");
        assertThat(stored.imageName()).isNull();
    }

    @Test
    void updateFromAFileReplacesTheDefinition() throws IOException {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello",
                "--env", "A=1").code()).isZero();
        Path file = dir.resolve("new.json");
        Files.writeString(file, "{\"image_name\":\"cless-test/other\",\"max_instances\":2}");

        CliRun updated = cless("services", "update", "hello", "-f", file.toString());

        assertThat(updated.code()).as(updated.err()).isZero();
        ServiceDefinition stored = stored("hello");
        assertThat(stored.imageName()).isEqualTo("cless-test/other");
        assertThat(stored.maxInstances()).isEqualTo(2);
        assertThat(stored.env()).isEmpty();
    }

    @Test
    void deleteRemovesTheService() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();

        CliRun deleted = cless("services", "delete", "hello");

        assertThat(deleted.code()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualToIgnoringNewLines("deleted service hello");
        assertThat(api.registry.get("hello")).isEmpty();
        CliRun again = cless("services", "delete", "hello");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("HTTP 404");
    }

    @Test
    void instancesAsTableAndAsJson() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();
        String container = "0123456789abcdef0123456789abcdef";
        Instant started = Instant.parse("2025-01-02T03:04:05Z");
        api.instances.set("hello", List.of(
                new InstanceInfo("i1", "hello", container, 20001, InstanceState.READY, started,
                        started.plusMillis(420), 420, 2, started.plusSeconds(60)),
                new InstanceInfo("i2", "hello", null, 20002, InstanceState.STARTING, started, null, -1, 0,
                        started)));

        CliRun table = cless("instances", "hello");
        assertThat(table.code()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0).split("\\s+")).containsExactly("ID", "STATE", "HOST_PORT", "CONTAINER", "IN_FLIGHT",
                "LAST_ACTIVITY", "COLD_START_MS");
        assertThat(lines.get(1).split("\\s+")).containsExactly("i1", "ready", "20001", "0123456789ab", "2",
                "2025-01-02T03:05:05Z", "420");
        assertThat(lines.get(2).split("\\s+")).containsExactly("i2", "starting", "20002", "-", "0",
                "2025-01-02T03:04:05Z", "-");

        CliRun asJson = cless("instances", "hello", "--json");
        JsonNode array = json(asJson.out());
        assertThat(array.get(0).get("container_id").asText()).isEqualTo(container);
        assertThat(array.size()).isEqualTo(2);

        CliRun unknown = cless("instances", "nope");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no service named 'nope'");
    }

    @Test
    void clusterAsTableAndAsJson() {
        Instant now = Instant.parse("2026-01-01T12:00:00Z");
        ReplicaStatus a = new ReplicaStatus("a-1", "a:80", "10.0.0.1:80", now.minusSeconds(600), now,
                ReplicaStatus.State.LIVE, Map.of("hello", new RevisionActivity(3, now),
                "api", new RevisionActivity(0, now.minusSeconds(30))));
        ReplicaStatus b = new ReplicaStatus("b-2", "b:80", "10.0.0.2:80", now.minusSeconds(500), now.minusSeconds(7),
                ReplicaStatus.State.STALE, Map.of());
        api.cluster = new ClusterSnapshot("b-2", "a-1", new DatabaseLink(false, now.minusSeconds(2),
                "connection refused"), now, List.of(a, b), null);

        CliRun table = cless("cluster");
        assertThat(table.code()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).matches("replica\\s+b-2");
        assertThat(lines.get(1)).matches("leader\\s+a-1");
        assertThat(lines.get(2)).matches("database\\s+down since 2026-01-01T11:59:58Z \\(connection refused\\)");
        assertThat(lines.get(4).split("\\s+")).containsExactly("ID", "NAME", "ADDRESS", "STATE", "LEADER",
                "STARTED_AT", "REPORTED_AT", "IN_FLIGHT");
        assertThat(lines.get(5).split("\\s+")).containsExactly("a-1", "a:80", "10.0.0.1:80", "live", "yes",
                "2026-01-01T11:50:00Z", "2026-01-01T12:00:00Z", "api=0", "hello=3");
        assertThat(lines.get(6).split("\\s+")).containsExactly("b-2", "b:80", "10.0.0.2:80", "stale",
                "2026-01-01T11:51:40Z", "2026-01-01T11:59:53Z", "-");
        assertThat(lines).hasSize(7);

        ScalePlan plan = new ScalePlan(now, List.of(new RevisionScale("hello", 3, 1,
                new ScaleToZeroDecision(false, "replica a-1 has 3 request(s) of hello in flight"))), Map.of());
        api.cluster = new ClusterSnapshot("a-1", "a-1", new DatabaseLink(true, now, null), now, List.of(a), plan);
        List<String> leader = cless("cluster").out().lines().toList();
        assertThat(leader.get(1)).matches("leader\\s+a-1 \\(this one\\)");
        assertThat(leader.get(2)).matches("database\\s+up since 2026-01-01T12:00:00Z");
        assertThat(leader.get(7).split("\\s+")).containsExactly("REVISION", "IN_FLIGHT", "TARGET", "TO_ZERO", "WHY");
        assertThat(leader.get(8)).matches("hello\\s+3\\s+1\\s+no\\s+replica a-1 has 3 request\\(s\\) of hello in flight");

        JsonNode asJson = json(cless("cluster", "--json").out());
        assertThat(asJson.get("leader_id").asText()).isEqualTo("a-1");
        assertThat(asJson.get("replicas").get(0).get("revisions").get("hello").get("in_flight").asInt()).isEqualTo(3);
        assertThat(asJson.get("scaling").get(0).get("target").asInt()).isEqualTo(1);
    }

    @Test
    void aValidationErrorPrintsEachFieldOnItsOwnLine() {
        CliRun invalid = cless("services", "create", "--name", "Bad_Name", "--image", "cless-test/hello",
                "--port", "70000");

        assertThat(invalid.code()).isEqualTo(1);
        assertThat(invalid.out()).isEmpty();
        List<String> lines = invalid.err().lines().toList();
        assertThat(lines.get(0)).isEqualTo("error: invalid service definition (HTTP 400 invalid_definition)");
        assertThat(lines).contains("  port: must be between 1 and 65535");
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  name: must be a DNS label"));
    }

    @Test
    void aTakenNameIsAConflict() {
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();
        CliRun again = cless("services", "create", "--name", "hello", "--image", "cless-test/hello");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("HTTP 409 conflict").contains("  name: is taken");
    }

    @Test
    void aWrongTokenIs401WithAHint() {
        CliRun denied = run("services", "list", "--admin-url", api.url, "--token", "wrong");

        assertThat(denied.code()).isEqualTo(1);
        assertThat(denied.err()).contains("HTTP 401 unauthorized").contains("--token");
    }

    @Test
    void anUnreachableAdminApiSaysSo() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;

        CliRun refused = run("services", "list", "--admin-url", url, "--token", "t");

        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err().strip())
                .isEqualTo("error: cannot reach the admin API at " + url + ": is cless serve running?");
    }

    @Test
    void theTokenIsReadFromTheDataDirectory() throws IOException {
        Files.writeString(dir.resolve("admin.token"), AdminApiFixture.TOKEN + "\n");
        assertThat(cless("services", "create", "--name", "hello", "--image", "cless-test/hello").code()).isZero();

        CliRun listed = run("services", "list", "--admin-url", api.url, "--data-dir", dir.toString());

        assertThat(listed.code()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("hello.localhost");
    }

    @Test
    void aMissingTokenFileNamesTheWaysToGiveOne() {
        Path empty = dir.resolve("no-such-dir");

        CliRun missing = run("services", "list", "--admin-url", api.url, "--data-dir", empty.toString());

        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no admin token").contains("--token")
                .contains(empty.resolve("admin.token").toString());
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(cless("services", "create").code()).isEqualTo(2);
        assertThat(cless("services", "create", "--file", "x.json", "--image", "y").code()).isEqualTo(2);
        assertThat(cless("services", "update", "hello").code()).isEqualTo(2);
        assertThat(cless("services", "create", "--name", "a", "--env", "NOVALUE").code()).isEqualTo(2);
        assertThat(cless("services", "create", "--name", "a", "--idle-timeout", "1500ms").code()).isEqualTo(2);
        assertThat(cless("services").code()).isEqualTo(2);
        assertThat(cless("services", "get").code()).isEqualTo(2);
        CliRun badUrl = run("services", "list", "--admin-url", "ftp://127.0.0.1", "--token", "t");
        assertThat(badUrl.code()).isEqualTo(2);
        assertThat(badUrl.err()).contains("--admin-url");
    }

    private ServiceDefinition stored(String name) {
        return api.registry.get(name).orElseThrow();
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(d -> names.add(d.get("name").asText()));
        return names;
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** Runs against the fixture's API with its token. */
    private CliRun cless(String... args) {
        return CliRun.against(api, args);
    }

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }
}
