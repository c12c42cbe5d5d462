package cloud.cless.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class FirstResponsePollerTest {
    private final FirstResponsePoller poller = new FirstResponsePoller(new ProbeSchedule(1, 2, "test"), 1000);

    @Test
    void retriesUntilTheServerAnswers200() throws Exception {
        // A close without a response, then a 503, then 200: three attempts.
        List<String> answers = List.of("", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> serve(server, answers), "test-server");
            serving.start();

            int attempts = poller.awaitOk(address(server), 10_000);

            assertThat(attempts).isEqualTo(3);
            serving.join(10_000);
        }
    }

    @Test
    void givesUpAfterItsTimeoutWhenNothingListens() throws IOException {
        InetSocketAddress closed;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = address(server);
        }

        assertThatThrownBy(() -> poller.awaitOk(closed, 50))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("did not answer 200 within 50 ms");
    }

    private static InetSocketAddress address(ServerSocket server) {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Answers one connection per entry after reading its request head; an empty answer closes at once. */
    private static void serve(ServerSocket server, List<String> answers) {
        for (String answer : answers) {
            try (Socket socket = server.accept()) {
                readHead(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                out.write(answer.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
        }
    }
}
