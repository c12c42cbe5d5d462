package cloud.cless.core.runtime.swarm;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/** A transport that answers from a script of canned responses and records the requests, for unit tests. */
final class CannedEngine implements DockerHttpClient {
    record Answer(int status, String body) {
    }

    private final Deque<Answer> answers = new ArrayDeque<>();
    private final List<String> requests = new ArrayList<>();

    synchronized CannedEngine answer(int status, String body) {
        answers.add(new Answer(status, body));
        return this;
    }

    synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public synchronized Response execute(Request request) {
        requests.add(request.method() + " " + request.path());
        Answer answer = answers.isEmpty() ? new Answer(500, "{\"message\":\"no canned answer\"}") : answers.poll();
        return new Response() {
            @Override
            public int getStatusCode() {
                return answer.status();
            }

            @Override
            public Map<String, List<String>> getHeaders() {
                return Map.of();
            }

            @Override
            public InputStream getBody() {
                return new ByteArrayInputStream(answer.body().getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
    }
}
