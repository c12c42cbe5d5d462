package cloud.cless.proxy.cli;

import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** The admin API answered with an error: its status and its {@code {"error","message","fields"}} body. */
final class AdminApiException extends AdminClientException {
    private final int status;
    private final String code;
    private final Map<String, String> fields;

    /**
     * @param status HTTP status
     * @param code   the body's {@code error}, or null when the body was not the API's error JSON
     * @param message the body's {@code message}, or a description of what came back
     * @param fields per-field problems, possibly empty
     */
    AdminApiException(int status, String code, String message, Map<String, String> fields) {
        super(message);
        this.status = status;
        this.code = code;
        this.fields = new TreeMap<>(fields);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    Map<String, String> fields() {
        return fields;
    }

    @Override
    String render() {
        StringBuilder text = new StringBuilder("error: ").append(summary())
                .append(" (HTTP ").append(status).append(code == null ? "" : " " + code).append(')');
        fields.forEach((field, problem) -> text.append(System.lineSeparator())
                .append("  ").append(field).append(": ").append(problem));
        if (status == 401) {
            text.append(System.lineSeparator()).append("  the token comes from --token, CLESS_ADMIN_TOKEN, "
                    + "or <--data-dir>/admin.token of the running cless serve");
        }
        return text.toString();
    }

    // The API's message repeats the fields after the summary ("invalid service definition: port must be ...");
    // they are printed one per line below it, so the repetition is cut when it is exactly that.
    private String summary() {
        String message = getMessage();
        if (fields.isEmpty()) {
            return message;
        }
        StringJoiner listed = new StringJoiner("; ", ": ", "");
        fields.forEach((field, problem) -> listed.add(field + " " + problem));
        String suffix = listed.toString();
        return message.endsWith(suffix) && message.length() > suffix.length()
                ? message.substring(0, message.length() - suffix.length()) : message;
    }
}
