package cloud.cless.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A keep-alive HTTP/1.1 app standing in for a container: reads each request (body by Content-Length or chunks,
 * kept raw) and lets the test answer it; counts connections and records requests. Real sockets, one thread per
 * connection.
 */
final class HttpBackend implements AutoCloseable {
    /** One request as the app saw it; {@code rawBody} is the body's bytes as they came (chunk framing included). */
    record Request(String head, byte[] rawBody, int connection) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        String body() {
            return new String(rawBody, StandardCharsets.ISO_8859_1);
        }
    }

    /** Answers one request on {@code out}; return false to close the connection without reading more. */
    interface Responder {
        boolean respond(Request request, Socket socket, InputStream in, OutputStream out) throws Exception;
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    private final TestBackend server;

    HttpBackend(Responder responder) throws IOException {
        server = new TestBackend(socket -> {
            int connection = connections.incrementAndGet();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = TestBackend.readHead(in);
                if (head == null) {
                    return;
                }
                // A request that expects 100-continue leaves its body to the responder, which sends the 100 first.
                boolean expects = "100-continue".equalsIgnoreCase(new Request(head, new byte[0], 0).header("Expect"));
                Request request = new Request(head, expects ? new byte[0] : readBody(head, in), connection);
                requests.add(request);
                if (!responder.respond(request, socket, in, out)) {
                    return;
                }
                out.flush();
            }
        });
    }

    /** Answers every request with {@code body} (200, Content-Length). */
    static HttpBackend answering(String body) throws IOException {
        return new HttpBackend((request, socket, in, out) -> {
            out.write(TestBackend.ok(body).getBytes(StandardCharsets.ISO_8859_1));
            return true;
        });
    }

    InetSocketAddress address() {
        return server.address();
    }

    List<Throwable> failures() {
        return server.failures;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    static byte[] readBody(String head, InputStream in) throws IOException {
        Request probe = new Request(head, new byte[0], 0);
        String te = probe.header("Transfer-Encoding");
        if (te != null && te.toLowerCase().endsWith("chunked")) {
            return readChunked(in);
        }
        String length = probe.header("Content-Length");
        return length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
    }

    /** The raw bytes of a chunked body, through the empty line after the last chunk (trailers included). */
    static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in, raw);
            int semi = line.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (!readLine(in, raw).isEmpty()) {
                    // trailer fields
                }
                return raw.toByteArray();
            }
            raw.write(in.readNBytes(size + 2));
        }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("EOF in a chunk line");
            }
            raw.write(b);
            line.append((char) b);
        }
        raw.write('\n');
        return line.toString().trim();
    }
}
