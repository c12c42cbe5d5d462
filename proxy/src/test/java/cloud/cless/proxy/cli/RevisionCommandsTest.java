package cloud.cless.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceState;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.TrafficTarget;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code cless revisions}, {@code traffic} and {@code rollback} against the real admin API. */
class RevisionCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture();
    }

    @AfterEach
    void stop() throws InterruptedException {
        api.close();
    }

    private CliRun cless(String... args) {
        CliRun run = CliRun.against(api, args);
        return run;
    }

    private CliRun ok(String... args) {
        CliRun run = cless(args);
        assertThat(run.code()).as(run.err()).isZero();
        return run;
    }

    /** hello with revisions 1..n (image tags v1..vn), all traffic to the latest. */
    private void deploy(int n) {
        ok("services", "create", "--name", "hello", "--image", "cless-test/hello", "--tag", "v1");
        for (int i = 2; i <= n; i++) {
            ok("services", "update", "hello", "--tag", "v" + i);
        }
    }

    private RegisteredService hello() {
        return api.registry.service("hello").orElseThrow();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static List<String[]> rows(CliRun run) {
        return run.out().lines().map(line -> line.split("\\s+")).toList();
    }

    @Test
    void revisionsAsTableAndAsJson() {
        deploy(3);
        ok("traffic", "hello", "hello-00002=90", "latest=10", "--tag", "canary=latest");
        Instant started = Instant.parse("2025-01-01T00:00:00Z");
        api.instances.set("hello", List.of(new InstanceInfo("i1", "hello", "c1", 20001, InstanceState.READY,
                started, started, 5, 0, started, "hello-00002")));

        CliRun table = ok("revisions", "hello");
        List<String[]> rows = rows(table);
        assertThat(rows.get(0)).containsExactly("REVISION", "LATEST", "TRAFFIC", "TAGS", "INSTANCES",
                "IMAGE/UPSTREAM", "CREATED", "LAST_SERVED");
        assertThat(rows).hasSize(4);
        assertThat(rows.get(1)).startsWith("hello-00003", "yes", "10%", "canary", "0", "cless-test/hello:v3");
        assertThat(rows.get(1)[7]).isEqualTo("now");
        assertThat(rows.get(2)).startsWith("hello-00002", "-", "90%", "-", "1", "cless-test/hello:v2");
        assertThat(rows.get(3)).startsWith("hello-00001", "-", "-", "-", "0", "cless-test/hello:v1");
        // It served until revision 2 was made; then it stopped.
        assertThat(Instant.parse(rows.get(3)[7])).isBefore(Instant.now().plusSeconds(1));

        JsonNode asJson = json(ok("revisions", "hello", "--json").out());
        assertThat(asJson.size()).isEqualTo(3);
        assertThat(asJson.get(0).get("name").asText()).isEqualTo("hello-00003");
        assertThat(asJson.get(1).get("instances").asInt()).isEqualTo(1);

        CliRun unknown = cless("revisions", "nope");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no service named 'nope'").contains("HTTP 404");
    }

    @Test
    void trafficSetsPercentsAndTagsAndPrintsTheSplit() {
        deploy(2);

        CliRun set = ok("traffic", "hello", "hello-00001=90", "latest=10", "--tag", "canary=hello-00002");

        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10), TrafficTarget.to("hello-00002", 0).withTag("canary"));
        List<String[]> rows = rows(set);
        assertThat(rows.get(0)).containsExactly("TARGET", "REVISION", "PERCENT", "TAG", "HOST");
        assertThat(rows.get(1)).containsExactly("hello-00001", "hello-00001", "90%", "-", "-");
        assertThat(rows.get(2)).containsExactly("latest", "hello-00002", "10%", "-", "-");
        assertThat(rows.get(3)).containsExactly("hello-00002", "hello-00002", "0%", "canary",
                "canary--hello.localhost");
        assertThat(api.registry.route("canary--hello.localhost").fixed().name()).isEqualTo("hello-00002");
    }

    @Test
    void aTagGoesOnTheEntryOfItsRevisionAndExistingTagsStay() {
        deploy(2);
        ok("traffic", "hello", "hello-00001=100", "--tag", "stable=hello-00001", "--tag", "next=latest");
        assertThat(hello().definition().traffic()).containsExactly(
                TrafficTarget.to("hello-00001", 100).withTag("stable"), TrafficTarget.latest(0).withTag("next"));

        // New percents keep the tags; --untag drops one; a tag may move.
        ok("traffic", "hello", "hello-00001=50", "hello-00002=50", "--untag", "next", "--tag", "stable=hello-00002");
        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00001", 50),
                TrafficTarget.to("hello-00002", 50).withTag("stable"));

        // Tags alone keep the percents.
        ok("traffic", "hello", "--tag", "old=hello-00001");
        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00001", 50).withTag("old"),
                TrafficTarget.to("hello-00002", 50).withTag("stable"));
    }

    @Test
    void trafficAsJsonIsTheService() {
        deploy(2);
        JsonNode service = json(ok("traffic", "hello", "latest=100", "--json").out());
        assertThat(service.get("name").asText()).isEqualTo("hello");
        assertThat(service.get("traffic").toString()).isEqualTo("[{\"latest\":true,\"percent\":100}]");
    }

    @Test
    void badTrafficIsTheApisErrorAndBadSyntaxAUsageError() {
        deploy(2);
        CliRun sum = cless("traffic", "hello", "hello-00001=90");
        assertThat(sum.code()).isEqualTo(1);
        assertThat(sum.err()).contains("HTTP 400 invalid_definition").contains("traffic: percents must add up to 100");
        CliRun unknown = cless("traffic", "hello", "hello-00009=100");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("traffic[0].revision: service 'hello' has no revision 'hello-00009'");

        for (String bad : List.of("hello-00001", "=100", "hello-00001=ninety", "hello-00001=1000")) {
            CliRun usage = cless("traffic", "hello", bad);
            assertThat(usage.code()).as(bad).isEqualTo(2);
            assertThat(usage.err()).as(bad).contains("is not REVISION=PERCENT");
        }
        assertThat(cless("traffic", "hello").code()).isEqualTo(2);
        assertThat(cless("traffic", "hello", "--tag", "novalue").code()).isEqualTo(2);
        assertThat(hello().definition().traffic()).isEqualTo(TrafficTarget.DEFAULT);
    }

    @Test
    void rollbackUndoesTheLastRolloutAndKeepsTags() {
        deploy(2); // revision 2 took over from 1 through latest
        ok("traffic", "hello", "latest=100", "--tag", "current=latest");

        CliRun rolledBack = ok("rollback", "hello");

        assertThat(rolledBack.out()).startsWith("all traffic of hello to hello-00001");
        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00001", 100),
                TrafficTarget.latest(0).withTag("current"));
        // A second rollback changes nothing: revision 2 is still the latest that served.
        ok("rollback", "hello");
        assertThat(hello().traffic().percentOf("hello-00001")).isEqualTo(100);
    }

    @Test
    void rollbackOfACanaryGoesBackToTheStableRevision() {
        deploy(3);
        ok("traffic", "hello", "hello-00002=90", "hello-00003=10");
        ok("rollback", "hello");
        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00002", 100));
    }

    @Test
    void rollbackSkipsARevisionRolledBackFrom() {
        deploy(2);
        ok("rollback", "hello"); // 2 -> 1
        ok("services", "update", "hello", "--tag", "v3"); // revision 3, no traffic: the traffic names hello-00001
        assertThat(hello().traffic().serves("hello-00003")).isFalse();
        ok("traffic", "hello", "hello-00003=100");
        ok("rollback", "hello");
        // Back to what served before 3 took over (1), not to 2, which was rolled back from.
        assertThat(hello().definition().traffic()).containsExactly(TrafficTarget.to("hello-00001", 100));
    }

    @Test
    void rollbackToANamedRevision() {
        deploy(3);
        CliRun rolledBack = ok("rollback", "hello", "hello-00001", "--json");
        assertThat(json(rolledBack.out()).get("traffic").toString())
                .isEqualTo("[{\"revision\":\"hello-00001\",\"percent\":100}]");
        CliRun unknown = cless("rollback", "hello", "hello-00042");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("hello-00042");
    }

    @Test
    void rollbackWithNothingToGoBackToSaysSo() {
        ok("services", "create", "--name", "hello", "--image", "cless-test/hello");
        CliRun nothing = cless("rollback", "hello");
        assertThat(nothing.code()).isEqualTo(1);
        assertThat(nothing.err()).contains("no revision to roll back to").contains("hello-00001")
                .contains("cless rollback hello REVISION");
        assertThat(cless("rollback").code()).isEqualTo(2);
    }
}
