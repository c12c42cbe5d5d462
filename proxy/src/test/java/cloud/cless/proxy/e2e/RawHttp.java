package cloud.cless.proxy.e2e;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal HTTP/1.1 client over a raw socket, so tests can send any Host header to the proxy port. */
final class RawHttp {

    /** A parsed response: status code, the head as text, the body as text. */
    record Response(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** A connection kept open across several writes and reads, for long-lived and pass-through tests. */
    static final class Connection implements Closeable {
        private final Socket socket;

        private Connection(Socket socket) {
            this.socket = socket;
        }

        void write(String text) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Reads exactly {@code length} bytes (UTF-8 text); fails when the connection ends before. */
        String read(int length) throws IOException {
            byte[] bytes = socket.getInputStream().readNBytes(length);
            if (bytes.length < length) {
                throw new EOFException("connection ended after " + bytes.length + " of " + length + " bytes: '"
                        + new String(bytes, StandardCharsets.UTF_8) + "'");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /**
         * Reads one response: its head (see {@link #head()}), then its body by Content-Length, or up to the close
         * when it has none.
         */
        Response response() throws IOException {
            String text = head();
            Response parsed = new Response(Integer.parseInt(text.substring(9, 12)), text, "");
            String length = parsed.header("Content-Length");
            InputStream in = socket.getInputStream();
            byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
            return new Response(parsed.status(), parsed.head(), new String(body, StandardCharsets.UTF_8));
        }

        /**
         * Reads one response head, up to its empty line and no further, its lines joined by LF (they may end in a
         * bare LF, as CGI scripts write them).
         */
        String head() throws IOException {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int previous = -1;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection ended inside a response head: '" + head + "'");
                }
                head.write(b);
                if (b == '\n' && previous == '\n') {
                    break; // an empty line, "\n\n" or "\n\r\n": the last byte that was not a CR was a line feed
                }
                if (b != '\r') {
                    previous = b;
                }
            }
            return head.toString(StandardCharsets.UTF_8).replace("\r\n", "\n").strip();
        }

        /** Ends the client's side (a FIN); reading goes on. */
        void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        /** Everything the server sends until it closes. */
        String readToEnd() throws IOException {
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private RawHttp() {
    }

    static Connection open(InetSocketAddress proxy) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(proxy, 5_000);
            socket.setSoTimeout(60_000);
            return new Connection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    static Response get(InetSocketAddress proxy, String host, String path) throws IOException {
        return send(proxy, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    static Response request(InetSocketAddress proxy, String method, String host, String path, String token,
                            String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder()
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\n")
                .append("Connection: close\r\n");
        if (token != null) {
            req.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        if (body != null) {
            req.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n");
        }
        req.append("\r\n");
        return send(proxy, req + (body == null ? "" : body));
    }

    /** Sends {@code raw} and reads until the server closes; the proxy and the test apps close after answering. */
    static Response send(InetSocketAddress proxy, String raw) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(proxy, 5_000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            // CGI apps may end their header lines with a bare LF, as many clients tolerate.
            int crlf = text.indexOf("\r\n\r\n");
            int lf = text.indexOf("\n\n");
            int end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
            int separator = end == crlf ? 4 : 2;
            if (!text.startsWith("HTTP/1.") || end < 0) {
                throw new IOException("not an HTTP response: '" + text + "'");
            }
            int status = Integer.parseInt(text.substring(9, 12));
            return new Response(status, text.substring(0, end).replace("\r\n", "\n"),
                    text.substring(end + separator));
        }
    }

    /**
     * The value of {@code name{service="..."}} (or of {@code name}, unlabelled, when {@code service} is null) in the
     * admin API's {@code GET /metrics}, or -1 when it is not there.
     */
    static double metric(InetSocketAddress proxy, String token, String name, String service) throws IOException {
        Response metrics = request(proxy, "GET", "admin.localhost", "/metrics", token, null);
        for (String line : metrics.body().split("\n")) {
            boolean matches = service == null ? line.startsWith(name + " ")
                    : line.startsWith(name + "{") && line.contains("service=\"" + service + "\"");
            if (matches) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    /**
     * The value of the series {@code name} whose labels include each pair of {@code labels} ({@code "service",
     * "hello", "code", "2xx"}) in the admin API's {@code GET /metrics}, or -1 when it is not there.
     */
    static double labelled(InetSocketAddress proxy, String token, String name, String... labels) throws IOException {
        Response metrics = request(proxy, "GET", "admin.localhost", "/metrics", token, null);
        for (String line : metrics.body().split("\n")) {
            boolean matches = line.startsWith(name + "{");
            for (int i = 0; matches && i < labels.length; i += 2) {
                matches = line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (matches) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }
}
