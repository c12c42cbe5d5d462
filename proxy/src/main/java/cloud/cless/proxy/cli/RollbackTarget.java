package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;

/**
 * Which revision {@code cless rollback} sends all traffic to when none is named: the latest revision that ever
 * served (had a percent) is the one rolled back from, and the target is the revision that served most recently
 * besides it (one serving now counts as now; on a tie, the newer revision). So a rollback undoes the last move of
 * traffic to a newer revision, a canary's included, and a second rollback changes nothing.
 */
final class RollbackTarget {
    private RollbackTarget() {
    }

    /** From the API's revisions of a service (any order); empty when no other revision ever served. */
    static Optional<String> choose(JsonNode revisions) {
        JsonNode from = latestThatServed(revisions);
        JsonNode target = null;
        for (JsonNode r : revisions) {
            if (r == from || served(r) == null) {
                continue;
            }
            if (target == null || later(r, target)) {
                target = r;
            }
        }
        return Optional.ofNullable(target).map(r -> DefinitionView.text(r, "name"));
    }

    /** The latest revision that ever served, if any: what a rollback moves away from. */
    static Optional<String> latestServed(JsonNode revisions) {
        return Optional.ofNullable(latestThatServed(revisions)).map(r -> DefinitionView.text(r, "name"));
    }

    private static JsonNode latestThatServed(JsonNode revisions) {
        JsonNode from = null;
        for (JsonNode r : revisions) {
            if (served(r) != null && (from == null || number(r) > number(from))) {
                from = r;
            }
        }
        return from;
    }

    private static boolean later(JsonNode a, JsonNode b) {
        int byTime = served(a).compareTo(served(b));
        return byTime != 0 ? byTime > 0 : number(a) > number(b);
    }

    /** When it last served: now for one with a percent, else its last_served_at, null when it never did. */
    private static Instant served(JsonNode r) {
        if (r.path("percent").asInt(0) > 0) {
            return Instant.MAX;
        }
        String at = DefinitionView.text(r, "last_served_at");
        return at == null ? null : Instant.parse(at);
    }

    /** The revision's number, from its name {@code <service>-<number>}. */
    private static long number(JsonNode r) {
        String name = DefinitionView.text(r, "name");
        return Long.parseLong(name.substring(name.lastIndexOf('-') + 1));
    }
}
