package cloud.cless.core.runtime.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * JSON requests to a Swarm manager's engine API over docker-java's transport. Specs are read and written as JSON
 * trees, not through docker-java's model: that model has no task port status and no pids limit, and a spec sent
 * back through it loses every field it does not know, which would undo what other writers set.
 * Answers other than 2xx are thrown as docker-java's exceptions, so that {@code DockerFailures} can classify them.
 */
final class SwarmHttp implements AutoCloseable {
    /** The engine API version every path is pinned to: 1.41 (Docker 20.10) has everything used here. */
    static final String API = "/v1.41";
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final DockerHttpClient http;
    private final ObjectMapper json;

    SwarmHttp(DockerHttpClient http, ObjectMapper json) {
        this.http = http;
        this.json = json;
    }

    JsonNode get(String path) {
        return exchange(DockerHttpClient.Request.Method.GET, path, null);
    }

    JsonNode post(String path, JsonNode body) {
        return exchange(DockerHttpClient.Request.Method.POST, path, body);
    }

    void delete(String path) {
        exchange(DockerHttpClient.Request.Method.DELETE, path, null);
    }

    /** {@code ?filters=...} for a filter of one or more values per key, URL-encoded. */
    String filters(Map<String, List<String>> filters) {
        try {
            return "filters=" + URLEncoder.encode(json.writeValueAsString(filters), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode exchange(DockerHttpClient.Request.Method method, String path, JsonNode body) {
        DockerHttpClient.Request.Builder request = DockerHttpClient.Request.builder()
                .method(method)
                .path(API + path)
                .putHeader("Accept", "application/json");
        if (body != null) {
            try {
                request.putHeader("Content-Type", "application/json")
                        .body(new ByteArrayInputStream(json.writeValueAsBytes(body)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (DockerHttpClient.Response response = http.execute(request.build())) {
            int status = response.getStatusCode();
            byte[] bytes = readBody(response.getBody());
            if (status >= 200 && status < 300) {
                return bytes.length == 0 ? MissingNode.getInstance() : parse(bytes, method + " " + path);
            }
            throw answer(status, new String(bytes, StandardCharsets.UTF_8).strip(), method + " " + path);
        } catch (IOException e) {
            // The transport reports connection failures as unchecked exceptions wrapping an IOException; a body
            // that breaks off half-way is the same kind of failure.
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode parse(byte[] bytes, String request) {
        try {
            return json.readTree(bytes);
        } catch (IOException e) {
            // The engine answered, but not with JSON: its fault, not the connection's.
            throw new IllegalStateException("the engine's answer to " + request + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] readBody(InputStream body) throws IOException {
        if (body == null) {
            return new byte[0];
        }
        byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IOException("the engine's answer is larger than " + MAX_BODY_BYTES + " bytes");
        }
        return bytes;
    }

    private static DockerException answer(int status, String body, String request) {
        String message = body.isEmpty() ? "HTTP " + status + " for " + request : body;
        return switch (status) {
            case 400 -> new BadRequestException(message);
            case 404 -> new NotFoundException(message);
            case 409 -> new ConflictException(message);
            case 500 -> new InternalServerErrorException(message);
            default -> new DockerException(message, status);
        };
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
