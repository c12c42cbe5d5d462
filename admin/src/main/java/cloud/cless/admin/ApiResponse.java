package cloud.cless.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the admin API answers, before it becomes a Netty response on the channel's event loop.
 *
 * @param status      HTTP status
 * @param contentType media type of {@code body}, null when there is no body
 * @param body        the body bytes (empty for none)
 * @param headers     further headers (Location, Allow, WWW-Authenticate)
 */
record ApiResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json";
    static final String TEXT = "text/plain; charset=UTF-8";

    static ApiResponse json(HttpResponseStatus status, byte[] body) {
        return new ApiResponse(status, JSON, body, Map.of());
    }

    static ApiResponse text(HttpResponseStatus status, String text) {
        return new ApiResponse(status, TEXT, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static ApiResponse empty(HttpResponseStatus status) {
        return new ApiResponse(status, null, new byte[0], Map.of());
    }

    ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, contentType, body, Map.copyOf(more));
    }
}
