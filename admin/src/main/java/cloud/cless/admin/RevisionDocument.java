package cloud.cless.admin;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionSpec;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One revision as {@code GET /serviceDefinitions/{name}/revisions} lists it: its snapshot of what containers run,
 * when it was made, what the traffic gives it now, how many instances run it, and when it last had a percent
 * (now while it has one; null when it never had). Times are ISO-8601.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"name", "service", "created_at", "latest", "percent", "tags", "instances", "last_served_at",
        "image_name", "image_tag", "upstream", "port", "env", "readiness_path", "memory_mb", "cpus"})
record RevisionDocument(
        @JsonProperty("name") String name,
        @JsonProperty("service") String service,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("latest") boolean latest,
        @JsonProperty("percent") int percent,
        @JsonProperty("tags") List<String> tags,
        @JsonProperty("instances") long instances,
        @JsonProperty("last_served_at") String lastServedAt,
        @JsonProperty("image_name") String imageName,
        @JsonProperty("image_tag") String imageTag,
        @JsonProperty("upstream") String upstream,
        @JsonProperty("port") Integer port,
        @JsonProperty("env") Map<String, String> env,
        @JsonProperty("readiness_path") String readinessPath,
        @JsonProperty("memory_mb") Integer memoryMb,
        @JsonProperty("cpus") Double cpus) {

    /**
     * @param instances how many instances run {@code revision}
     * @param now       the time of the answer: a revision with a percent serves at this moment
     */
    static RevisionDocument of(RegisteredService service, Revision revision, long instances, Instant now) {
        RevisionSpec spec = revision.spec();
        int percent = service.traffic().percentOf(revision.name());
        Instant lastServed = percent > 0 ? now : service.lastServed().get(revision.name());
        return new RevisionDocument(revision.name(), revision.service(), revision.createdAt().toString(),
                revision.equals(service.latest()), percent, service.traffic().tagsOf(revision.name()), instances,
                lastServed == null ? null : lastServed.toString(), spec.imageName(), spec.imageTag(),
                spec.upstream(), spec.port(), new TreeMap<>(spec.env()), spec.readinessPath(), spec.memoryMb(),
                spec.cpus());
    }
}
