package cloud.cless.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/** A request the admin API turns down with a client error: the status and the JSON error it answers with. */
final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;
    private final String code;
    private final Map<String, String> fields;

    ApiException(HttpResponseStatus status, String code, String message, Map<String, String> fields) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.fields = fields == null ? null : Map.copyOf(fields);
    }

    static ApiException malformed(String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "malformed_json", message, null);
    }

    static ApiException invalidDefinition(Map<String, String> fields) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_definition",
                ErrorBody.describe("invalid service definition", fields), fields);
    }

    HttpResponseStatus status() {
        return status;
    }

    ErrorBody body() {
        return new ErrorBody(code, getMessage(), fields);
    }
}
