package cloud.cless.proxy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Calls the admin API of a running {@code cless serve} over HTTP; answers come back as JSON trees. */
final class AdminClient {
    static final String DEFINITIONS = "/serviceDefinitions";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String token;
    private final ObjectMapper mapper;
    private final HttpClient http;

    /**
     * @param base   the admin API's address, e.g. {@code http://127.0.0.1:1323}
     * @param token  the bearer token
     * @param mapper parses answers and writes request bodies
     */
    AdminClient(URI base, String token, ObjectMapper mapper) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
        this.mapper = mapper;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The path of one definition, its name percent-encoded so that no name can reach another route. */
    static String definition(String name) {
        return DEFINITIONS + "/" + segment(name);
    }

    /** The path of a service's revisions. */
    static String revisions(String name) {
        return definition(name) + "/revisions";
    }

    /** The path of a service's traffic. */
    static String traffic(String name) {
        return definition(name) + "/traffic";
    }

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, byte[] body) {
        return send("POST", path, body);
    }

    JsonNode put(String path, byte[] body) {
        return send("PUT", path, body);
    }

    void delete(String path) {
        send("DELETE", path, null);
    }

    byte[] write(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree", e);
        }
    }

    /** Sends one request: the parsed body of a 2xx answer (null when empty), else an {@link AdminApiException}. */
    private JsonNode send(String method, String path, byte[] body) {
        URI uri = URI.create(base + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable(e);
        } catch (HttpTimeoutException e) {
            throw new AdminClientException("the admin API at " + base + " did not answer " + method + " " + path
                    + " within " + REQUEST_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw unreachable(e);
            }
            throw new AdminClientException("cannot talk to the admin API at " + base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminClientException("interrupted while calling the admin API at " + base, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return response.body().length == 0 ? null : parse(response.body(), method, path);
        }
        throw apiError(status, response.body());
    }

    private AdminClientException unreachable(IOException e) {
        return new AdminClientException("cannot reach the admin API at " + base + ": is cless serve running?", e);
    }

    private JsonNode parse(byte[] body, String method, String path) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new AdminClientException("the admin API at " + base + " answered " + method + " " + path
                    + " with something that is not JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
    }

    // Anything answering on the port may not be cless: a body that is not the API's error JSON is shown as text.
    private AdminApiException apiError(int status, byte[] body) {
        JsonNode error = null;
        try {
            error = body.length == 0 ? null : mapper.readTree(body);
        } catch (IOException notJson) {
            // falls through to the plain-text description
        }
        if (error != null && error.isObject() && error.path("message").isTextual()) {
            Map<String, String> fields = new LinkedHashMap<>();
            error.path("fields").fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText()));
            String code = error.path("error").isTextual() ? error.get("error").asText() : null;
            return new AdminApiException(status, code, error.get("message").asText(), fields);
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return new AdminApiException(status, null, text.isEmpty() ? "the admin API at " + base + " answered "
                + status : text, Map.of());
    }
}
