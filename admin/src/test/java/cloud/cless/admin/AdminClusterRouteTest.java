package cloud.cless.admin;

import static cloud.cless.admin.AdminOverSocket.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.core.cluster.DatabaseLink;
import cloud.cless.core.cluster.ReplicaStatus;
import cloud.cless.core.cluster.RevisionActivity;
import cloud.cless.core.cluster.RevisionScale;
import cloud.cless.core.cluster.ScalePlan;
import cloud.cless.core.cluster.ScaleToZeroDecision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /cluster} over a real socket: the token, the document's shape on one host and in a cluster. */
class AdminClusterRouteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    private AdminOverSocket admin;

    @BeforeEach
    void start() throws Exception {
        admin = new AdminOverSocket();
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
    }

    @Test
    void theClusterNeedsTheTokenAndOnlyTakesGet() throws Exception {
        assertError(admin.call("GET", "/cluster", null, BodyPublishers.noBody()), 401, "unauthorized");
        HttpResponse<String> post = admin.call("POST", "/cluster", "{}");
        assertError(post, 405, "method_not_allowed");
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void oneHostIsOneLiveReplicaThatLeadsWithoutADatabase() throws Exception {
        HttpResponse<String> response = admin.call("GET", "/cluster", null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"replica_id\":\"host-00000001\",\"leader_id\":\"host-00000001\","
                + "\"database\":null,\"as_of\":\"2026-01-01T12:00:00Z\",\"replicas\":[{\"id\":\"host-00000001\","
                + "\"name\":\"host:80\",\"address\":\"10.0.0.5:80\",\"started_at\":\"2026-01-01T11:00:00Z\","
                + "\"reported_at\":\"2026-01-01T12:00:00Z\",\"state\":\"live\",\"leader\":true,\"revisions\":{}}],"
                + "\"scaling\":null}");
    }

    @Test
    void aClusterShowsEveryReplicasStateItsLoadTheDatabaseAndTheLeadersDecisions() throws Exception {
        ReplicaStatus a = new ReplicaStatus("a-1", "a:80", "10.0.0.1:80", NOW.minusSeconds(600), NOW.minusMillis(400),
                ReplicaStatus.State.LIVE, Map.of("hello", new RevisionActivity(3, NOW),
                "api", new RevisionActivity(0, NOW.minusSeconds(30))));
        ReplicaStatus b = new ReplicaStatus("b-2", "b:80", "10.0.0.2:80", NOW.minusSeconds(500), NOW.minusSeconds(7),
                ReplicaStatus.State.STALE, Map.of());
        ReplicaStatus c = new ReplicaStatus("c-3", "c:80", "10.0.0.3:80", NOW.minusSeconds(1), null,
                ReplicaStatus.State.UNREPORTED, Map.of());
        ScalePlan plan = new ScalePlan(NOW, List.of(new RevisionScale("hello", 3, 1,
                new ScaleToZeroDecision(false, "replica a-1 has 3 request(s) of hello in flight"))), Map.of());
        admin.fixture.cluster = new ClusterSnapshot("a-1", "a-1",
                new DatabaseLink(false, NOW.minusSeconds(2), "connection refused"), NOW, List.of(a, b, c), plan);

        JsonNode cluster = JSON.readTree(admin.call("GET", "/cluster", null).body());

        assertThat(cluster.get("replica_id").asText()).isEqualTo("a-1");
        assertThat(cluster.get("leader_id").asText()).isEqualTo("a-1");
        assertThat(cluster.get("database").toString()).isEqualTo(
                "{\"state\":\"down\",\"since\":\"2026-01-01T11:59:58Z\",\"failure\":\"connection refused\"}");
        assertThat(cluster.get("replicas")).extracting(r -> r.get("id").asText() + " " + r.get("state").asText()
                + " " + r.get("leader").asBoolean()).containsExactly("a-1 live true", "b-2 stale false",
                "c-3 unreported false");
        JsonNode first = cluster.get("replicas").get(0);
        assertThat(first.get("reported_at").asText()).isEqualTo("2026-01-01T11:59:59.600Z");
        assertThat(first.get("revisions").toString()).isEqualTo("{\"api\":{\"in_flight\":0,"
                + "\"last_request_at\":\"2026-01-01T11:59:30Z\"},\"hello\":{\"in_flight\":3,"
                + "\"last_request_at\":\"2026-01-01T12:00:00Z\"}}");
        assertThat(cluster.get("replicas").get(2).get("reported_at").isNull()).isTrue();
        assertThat(cluster.get("scaling").toString()).isEqualTo("[{\"revision\":\"hello\",\"in_flight\":3,"
                + "\"target\":1,\"may_scale_to_zero\":false,"
                + "\"reason\":\"replica a-1 has 3 request(s) of hello in flight\"}]");
    }
}
