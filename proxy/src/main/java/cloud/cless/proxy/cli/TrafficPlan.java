package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the traffic list {@code cless traffic} and {@code cless rollback} send: the new percents, and the tags,
 * each on its own revision (or {@code latest}). A tag goes on the entry of its target when that entry has no tag
 * yet, else on an entry of its own with 0 percent.
 */
final class TrafficPlan {
    /** The word for the latest revision, where a revision name could stand. */
    static final String LATEST = "latest";

    private record Share(String target, int percent) {
    }

    private final List<Share> shares = new ArrayList<>();
    private final Map<String, String> tags = new LinkedHashMap<>();

    /** Gives {@code target} (a revision name or {@code latest}) {@code percent} of the requests. */
    TrafficPlan share(String target, int percent) {
        shares.add(new Share(target, percent));
        return this;
    }

    /** Points {@code tag} at {@code target}, replacing where it pointed before. */
    TrafficPlan tag(String tag, String target) {
        tags.remove(tag);
        tags.put(tag, target);
        return this;
    }

    /** The percents of {@code traffic} (an API traffic array), without its tags. */
    TrafficPlan sharesOf(JsonNode traffic) {
        for (JsonNode entry : traffic) {
            int percent = entry.path("percent").asInt(0);
            if (percent > 0) {
                share(targetOf(entry), percent);
            }
        }
        return this;
    }

    /** The tags of {@code traffic} (an API traffic array), except those in {@code dropped}. */
    TrafficPlan tagsOf(JsonNode traffic, Set<String> dropped) {
        for (JsonNode entry : traffic) {
            String tag = DefinitionView.text(entry, "tag");
            if (tag != null && !dropped.contains(tag)) {
                tag(tag, targetOf(entry));
            }
        }
        return this;
    }

    /** The traffic array for {@code PUT .../traffic}. */
    ArrayNode toJson() {
        List<ObjectNode> entries = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        List<Boolean> tagged = new ArrayList<>();
        for (Share share : shares) {
            entries.add(entry(share.target(), share.percent()));
            targets.add(share.target());
            tagged.add(false);
        }
        tags.forEach((tag, target) -> {
            int at = -1;
            for (int i = 0; i < entries.size() && at < 0; i++) {
                if (targets.get(i).equals(target) && !tagged.get(i)) {
                    at = i;
                }
            }
            if (at < 0) {
                entries.add(entry(target, 0));
                targets.add(target);
                tagged.add(false);
                at = entries.size() - 1;
            }
            entries.get(at).put("tag", tag);
            tagged.set(at, true);
        });
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        entries.forEach(array::add);
        return array;
    }

    private static String targetOf(JsonNode entry) {
        return entry.path("latest").asBoolean(false) ? LATEST : DefinitionView.text(entry, "revision");
    }

    private static ObjectNode entry(String target, int percent) {
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        if (LATEST.equals(target)) {
            entry.put("latest", true);
        } else {
            entry.put("revision", target);
        }
        return entry.put("percent", percent);
    }
}
