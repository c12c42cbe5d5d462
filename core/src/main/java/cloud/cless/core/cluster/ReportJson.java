package cloud.cless.core.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code revisions} column of a replica's report: {@code {"<revision>": {"in_flight": 2, "idle_ms": 1500}}}.
 * Idle time rather than a timestamp, so the reader can place it on the database's clock whatever the replica's
 * clock says.
 */
final class ReportJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportJson() {
    }

    /** @param now the replica's clock, on which {@code activity}'s times are */
    static String write(Map<String, RevisionActivity> activity, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        activity.forEach((revision, a) -> {
            long idleMillis = a.inFlight() > 0 ? 0 : Math.max(0, Duration.between(a.lastRequestAt(), now).toMillis());
            root.putObject(revision).put("in_flight", a.inFlight()).put("idle_ms", idleMillis);
        });
        return root.toString();
    }

    /** @param reportedAt the database's clock at the report */
    static Map<String, RevisionActivity> read(String json, Instant reportedAt) {
        Map<String, RevisionActivity> activity = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a replica report's revisions are not JSON: " + e.getOriginalMessage(),
                    e);
        }
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            JsonNode node = entry.getValue();
            int inFlight = Math.max(0, node.path("in_flight").asInt(0));
            long idleMillis = Math.max(0, node.path("idle_ms").asLong(0));
            activity.put(entry.getKey(), new RevisionActivity(inFlight, reportedAt.minusMillis(idleMillis)));
        }
        return activity;
    }
}
