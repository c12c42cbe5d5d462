package cloud.cless.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import java.util.TreeMap;

/** The JSON of every admin API error: {@code {"error": code, "message": text, "fields": {...}}}. */
@JsonPropertyOrder({"error", "message", "fields"})
record ErrorBody(
        @JsonProperty("error") String error,
        @JsonProperty("message") String message,
        @JsonProperty("fields") @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, String> fields) {

    ErrorBody {
        fields = fields == null ? null : new TreeMap<>(fields);
    }

    static String describe(String summary, Map<String, String> fields) {
        StringBuilder sb = new StringBuilder(summary);
        String sep = ": ";
        for (Map.Entry<String, String> e : new TreeMap<>(fields).entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = "; ";
        }
        return sb.toString();
    }
}
