package cloud.cless.admin;

import static cloud.cless.admin.AdminOverSocket.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceState;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The revision and traffic routes over real sockets: statuses, documents and error shapes. */
class AdminRevisionRoutesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HELLO = "{\"name\":\"hello\",\"image_name\":\"cless-test/hello\",\"image_tag\":\"v1\"}";
    private static final String BASE = "/serviceDefinitions/hello";

    private AdminOverSocket admin;

    @BeforeEach
    void start() throws Exception {
        admin = new AdminOverSocket();
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
    }

    private JsonNode ok(int status, HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(response.body());
    }

    private JsonNode call(String method, String path, String body) throws Exception {
        return ok(method.equals("POST") ? 201 : 200, admin.call(method, path, body));
    }

    /** hello with revisions 1-3 (image tags v1-v3); all traffic to the latest. */
    private void threeRevisions() throws Exception {
        call("POST", "/serviceDefinitions", HELLO);
        for (String tag : List.of("v2", "v3")) {
            call("PUT", BASE, HELLO.replace("v1", tag));
        }
    }

    @Test
    void aCreatedServiceHasRevisionOneAndAllTrafficOnTheLatest() throws Exception {
        JsonNode created = call("POST", "/serviceDefinitions", HELLO);
        assertThat(created.get("latest_revision").asText()).isEqualTo("hello-00001");
        assertThat(created.get("traffic").toString()).isEqualTo("[{\"latest\":true,\"percent\":100}]");
        assertThat(call("GET", BASE, null)).isEqualTo(created);
        assertThat(call("GET", "/serviceDefinitions", null).get(0)).isEqualTo(created);
    }

    @Test
    void revisionsAreListedNewestFirstWithTrafficTagsAndInstances() throws Exception {
        Instant before = Instant.now();
        threeRevisions();
        call("PUT", BASE + "/traffic", "[{\"revision\":\"hello-00001\",\"percent\":90},"
                + "{\"latest\":true,\"percent\":10,\"tag\":\"canary\"},{\"revision\":\"hello-00002\",\"tag\":\"old\"}]");
        Instant started = Instant.parse("2025-01-01T00:00:00Z");
        admin.fixture.instances.set("hello", List.of(
                new InstanceInfo("a", "hello", "c1", 20001, InstanceState.READY, started, started, 5, 0, started,
                        "hello-00001"),
                new InstanceInfo("b", "hello", "c2", 20002, InstanceState.READY, started, started, 5, 0, started,
                        "hello-00001"),
                new InstanceInfo("c", "hello", "c3", 20003, InstanceState.STARTING, started, null, -1, 0, started,
                        "hello-00003"),
                new InstanceInfo("d", "hello", "c4", 20004, InstanceState.READY, started, started, 5, 0, started)));

        JsonNode revisions = call("GET", BASE + "/revisions", null);

        List<String> names = new ArrayList<>();
        revisions.forEach(r -> names.add(r.get("name").asText()));
        assertThat(names).containsExactly("hello-00003", "hello-00002", "hello-00001");
        JsonNode third = revisions.get(0);
        assertThat(third.get("service").asText()).isEqualTo("hello");
        assertThat(third.get("latest").asBoolean()).isTrue();
        assertThat(third.get("percent").asInt()).isEqualTo(10);
        assertThat(third.get("tags").toString()).isEqualTo("[\"canary\"]");
        assertThat(third.get("instances").asInt()).isEqualTo(1);
        assertThat(third.get("image_name").asText()).isEqualTo("cless-test/hello");
        assertThat(third.get("image_tag").asText()).isEqualTo("v3");
        assertThat(third.get("port").asInt()).isEqualTo(8080);
        assertThat(Instant.parse(third.get("created_at").asText())).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(Instant.parse(third.get("last_served_at").asText())).isAfterOrEqualTo(before.minusSeconds(1));

        JsonNode second = revisions.get(1);
        assertThat(second.get("latest").asBoolean()).isFalse();
        assertThat(second.get("percent").asInt()).isZero();
        assertThat(second.get("tags").toString()).isEqualTo("[\"old\"]");
        assertThat(second.get("instances").asInt()).isZero();
        assertThat(second.get("image_tag").asText()).isEqualTo("v2");
        // It served until the traffic moved away from it.
        assertThat(second.get("last_served_at").isTextual()).isTrue();

        JsonNode first = revisions.get(2);
        assertThat(first.get("percent").asInt()).isEqualTo(90);
        assertThat(first.get("instances").asInt()).isEqualTo(2);
        assertThat(first.get("image_tag").asText()).isEqualTo("v1");

        assertThat(call("GET", BASE + "/revisions/hello-00002", null)).isEqualTo(second);
    }

    @Test
    void aRevisionThatNeverServedHasNoLastServedTime() throws Exception {
        call("POST", "/serviceDefinitions", HELLO.replace("}", ",\"traffic\":[{\"revision\":\"hello-00001\","
                + "\"percent\":100}]}"));
        call("PUT", BASE, HELLO.replace("v1", "v2"));
        JsonNode newest = call("GET", BASE + "/revisions/hello-00002", null);
        assertThat(newest.get("percent").asInt()).isZero();
        assertThat(newest.get("last_served_at").isNull()).isTrue();
    }

    @Test
    void unknownRevisionsAndServicesAre404() throws Exception {
        threeRevisions();
        call("POST", "/serviceDefinitions", "{\"name\":\"other\",\"image_name\":\"img\"}");
        for (String path : List.of(BASE + "/revisions/hello-00009", BASE + "/revisions/other-00001",
                "/serviceDefinitions/nope/revisions/nope-00001", "/serviceDefinitions/nope/revisions")) {
            assertError(admin.call("GET", path, null), 404, "not_found");
        }
        HttpResponse<String> missing = admin.call("GET", BASE + "/revisions/hello-00009", null);
        assertThat(missing.body()).contains("service 'hello' has no revision 'hello-00009'");
        assertError(admin.call("DELETE", BASE + "/revisions/hello-00009", null), 404, "not_found");
        assertError(admin.call("PUT", "/serviceDefinitions/nope/traffic", "[{\"latest\":true,\"percent\":100}]"),
                404, "not_found");
        assertError(admin.call("GET", BASE + "/revisions/hello-00001/x", null), 404, "not_found");
        assertError(admin.call("GET", BASE + "/traffic/x", null), 404, "not_found");
    }

    @Test
    void aRevisionWithTrafficATagOrTheLatestCannotBeDeleted() throws Exception {
        threeRevisions();
        call("PUT", BASE + "/traffic", "[{\"revision\":\"hello-00001\",\"percent\":100},"
                + "{\"revision\":\"hello-00002\",\"tag\":\"old\"}]");

        HttpResponse<String> withTraffic = admin.call("DELETE", BASE + "/revisions/hello-00001", null);
        assertError(withTraffic, 409, "conflict");
        assertThat(withTraffic.body()).contains("has 100% of the traffic");
        HttpResponse<String> tagged = admin.call("DELETE", BASE + "/revisions/hello-00002", null);
        assertError(tagged, 409, "conflict");
        assertThat(tagged.body()).contains("has the tag old");
        HttpResponse<String> latest = admin.call("DELETE", BASE + "/revisions/hello-00003", null);
        assertError(latest, 409, "conflict");
        assertThat(latest.body()).contains("is the latest");

        call("PUT", BASE + "/traffic", "[{\"revision\":\"hello-00001\",\"percent\":100}]");
        HttpResponse<String> deleted = admin.call("DELETE", BASE + "/revisions/hello-00002", null);
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        assertError(admin.call("GET", BASE + "/revisions/hello-00002", null), 404, "not_found");
        assertThat(call("GET", BASE + "/revisions", null).size()).isEqualTo(2);
    }

    @Test
    void puttingTrafficAnswersWithTheService() throws Exception {
        threeRevisions();
        JsonNode service = call("PUT", BASE + "/traffic",
                "[{\"revision\":\"hello-00002\",\"percent\":90},{\"latest\":true,\"percent\":10,\"tag\":\"canary\"}]");
        assertThat(service.get("name").asText()).isEqualTo("hello");
        assertThat(service.get("latest_revision").asText()).isEqualTo("hello-00003");
        assertThat(service.get("traffic").toString()).isEqualTo("[{\"revision\":\"hello-00002\",\"percent\":90},"
                + "{\"latest\":true,\"percent\":10,\"tag\":\"canary\"}]");
        assertThat(admin.fixture.registry.route("canary--hello.localhost").fixed().name()).isEqualTo("hello-00003");
    }

    @Test
    void invalidTrafficIs400NamingTheEntry() throws Exception {
        threeRevisions();
        record Case(String body, String field) {
        }
        for (Case c : List.of(
                new Case("[{\"revision\":\"hello-00001\",\"percent\":90}]", "traffic"),
                new Case("[{\"latest\":true,\"percent\":100},{\"revision\":\"hello-00009\"}]", "traffic[1].revision"),
                new Case("[{\"latest\":true,\"percent\":100},{\"latest\":true,\"percent\":-5}]", "traffic[1].percent"),
                new Case("[{\"latest\":true,\"percent\":100,\"tag\":\"Bad_Tag\"}]", "traffic[0].tag"),
                new Case("[{\"latest\":true,\"percent\":100,\"tag\":\"a\"},{\"revision\":\"hello-00001\",\"tag\":\"a\"}]",
                        "traffic[1].tag"),
                new Case("[{\"latest\":true,\"percent\":100},{\"percent\":0}]", "traffic[1]"),
                new Case("[{\"latest\":true,\"percent\":\"100\"}]", "traffic[0].percent"),
                new Case("[{\"latest\":true,\"percent\":100,\"weight\":1}]", "traffic[0].weight"),
                new Case("[]", "traffic"))) {
            HttpResponse<String> response = admin.call("PUT", BASE + "/traffic", c.body());
            assertError(response, 400, "invalid_definition");
            assertThat(JSON.readTree(response.body()).get("fields").has(c.field())).as(c.body() + " " + response.body())
                    .isTrue();
        }
        for (String body : List.of("", "{\"traffic\":[]}", "[")) {
            assertError(admin.call("PUT", BASE + "/traffic", body), 400, "malformed_json");
        }
        assertThat(call("GET", BASE, null).get("traffic").toString()).isEqualTo("[{\"latest\":true,\"percent\":100}]");
    }

    @Test
    void aTagWhoseHostIsAnotherServicesIs409() throws Exception {
        call("POST", "/serviceDefinitions", HELLO);
        call("POST", "/serviceDefinitions", "{\"name\":\"other\",\"image_name\":\"img\",\"host\":\"beta--hello.localhost\"}");
        HttpResponse<String> taken = admin.call("PUT", BASE + "/traffic",
                "[{\"latest\":true,\"percent\":100,\"tag\":\"beta\"}]");
        assertError(taken, 409, "conflict");
        assertThat(taken.body()).contains("\"fields\":{\"traffic[0].tag\":\"is taken\"}");
    }

    @Test
    void aDocumentAGetReturnedCanBeSentBackAsItIs() throws Exception {
        call("POST", "/serviceDefinitions", HELLO);
        call("PUT", BASE + "/traffic", "[{\"revision\":\"hello-00001\",\"percent\":100,\"tag\":\"stable\"}]");
        String document = admin.call("GET", BASE, null).body();

        JsonNode unchanged = call("PUT", BASE, document);
        assertThat(unchanged).isEqualTo(JSON.readTree(document));

        // Edited, it makes a revision; the traffic names revisions, so the new one gets none; the stale
        // latest_revision it carries is read-only and ignored.
        ObjectNode edited = (ObjectNode) JSON.readTree(document);
        edited.put("image_tag", "v2");
        JsonNode v2 = call("PUT", BASE, edited.toString());
        assertThat(v2.get("latest_revision").asText()).isEqualTo("hello-00002");
        assertThat(v2.get("traffic").toString()).isEqualTo("[{\"revision\":\"hello-00001\",\"percent\":100,"
                + "\"tag\":\"stable\"}]");
    }

    @Test
    void aPutWithoutTrafficKeepsTheServicesTraffic() throws Exception {
        call("POST", "/serviceDefinitions", HELLO);
        call("PUT", BASE + "/traffic", "[{\"revision\":\"hello-00001\",\"percent\":100}]");
        JsonNode v2 = call("PUT", BASE, HELLO.replace("v1", "v2"));
        assertThat(v2.get("traffic").toString()).isEqualTo("[{\"revision\":\"hello-00001\",\"percent\":100}]");
        assertThat(v2.get("latest_revision").asText()).isEqualTo("hello-00002");
    }

    @Test
    void newRoutesNeedTheTokenAndTheRightMethod() throws Exception {
        threeRevisions();
        for (String path : List.of(BASE + "/revisions", BASE + "/revisions/hello-00001", BASE + "/traffic")) {
            assertError(admin.call("GET", path, null, BodyPublishers.noBody()), 401, "unauthorized");
        }
        record Case(String method, String path, String allow) {
        }
        for (Case c : List.of(new Case("POST", BASE + "/revisions", "GET"),
                new Case("PUT", BASE + "/revisions/hello-00001", "GET, DELETE"),
                new Case("GET", BASE + "/traffic", "PUT"),
                new Case("POST", BASE + "/traffic", "PUT"))) {
            HttpResponse<String> response = admin.call(c.method(), c.path(), "[]");
            assertError(response, 405, "method_not_allowed");
            assertThat(response.headers().firstValue("Allow")).as(c.toString()).hasValue(c.allow());
        }
    }
}
