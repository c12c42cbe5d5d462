package cloud.cless.admin;

import cloud.cless.core.instance.InstanceInfo;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.Locale;

/**
 * One running instance as {@code GET /serviceDefinitions/{name}/instances} lists it, with the revision it runs
 * (null where the lifecycle does not say); times are ISO-8601.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "service", "revision", "container_id", "host_port", "state", "started_at", "ready_at",
        "cold_start_ms", "in_flight_requests", "last_activity"})
record InstanceDocument(
        @JsonProperty("id") String id,
        @JsonProperty("service") String service,
        @JsonProperty("revision") String revision,
        @JsonProperty("container_id") String containerId,
        @JsonProperty("host_port") int hostPort,
        @JsonProperty("state") String state,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("ready_at") String readyAt,
        @JsonProperty("cold_start_ms") Long coldStartMillis,
        @JsonProperty("in_flight_requests") int inFlightRequests,
        @JsonProperty("last_activity") String lastActivity) {

    static InstanceDocument of(InstanceInfo i) {
        return new InstanceDocument(i.id(), i.service(), i.revision(), i.containerId(), i.hostPort(),
                i.state().name().toLowerCase(Locale.ROOT), iso(i.startedAt()), iso(i.readyAt()),
                // -1 means "not ready yet": null says so in JSON without a magic number.
                i.coldStartMillis() < 0 ? null : i.coldStartMillis(),
                i.inFlightRequests(), iso(i.lastActivity()));
    }

    private static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
