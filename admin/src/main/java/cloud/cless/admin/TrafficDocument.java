package cloud.cless.admin;

import cloud.cless.core.service.TrafficTarget;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One traffic entry as the admin API writes and reads it: {@code {"revision": "hello-00001", "percent": 90}} or
 * {@code {"latest": true, "percent": 10, "tag": "canary"}}. Only what is set is written; a missing percent reads
 * as 0 (an entry for a tag alone).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"revision", "latest", "percent", "tag"})
record TrafficDocument(
        @JsonProperty("revision") String revision,
        @JsonProperty("latest") Boolean latest,
        @JsonProperty("percent") Integer percent,
        @JsonProperty("tag") String tag) {

    static TrafficDocument of(TrafficTarget t) {
        return new TrafficDocument(t.revision(), t.latest() ? Boolean.TRUE : null, t.percent(), t.tag());
    }

    TrafficTarget toTarget() {
        return new TrafficTarget(revision, Boolean.TRUE.equals(latest), percent == null ? 0 : percent, tag);
    }
}
