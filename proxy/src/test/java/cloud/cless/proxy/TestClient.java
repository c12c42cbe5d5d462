package cloud.cless.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A raw HTTP/1.1 client on one connection: writes any bytes, reads responses one at a time by their framing. */
final class TestClient implements AutoCloseable {
    /** A response as the client saw it: status, head text, and body (chunk framing left in, when chunked). */
    record Response(int status, String head, String body) {
        String header(String name) {
            return new HttpBackend.Request(head, new byte[0], 0).header(name);
        }
    }

    final Socket socket;
    final InputStream in;

    private TestClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
    }

    static TestClient connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(30_000);
        return new TestClient(socket);
    }

    TestClient send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /** Reads one response to a request that was not HEAD. */
    Response response() throws IOException {
        return response(false);
    }

    /** Reads one response; its body by Content-Length, chunks, or until the close. */
    Response response(boolean toHead) throws IOException {
        String head = TestBackend.readHead(in);
        if (head == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(head.substring(9, 12));
        Response probe = new Response(status, head, "");
        String body;
        if (toHead || status < 200 || status == 204 || status == 304) {
            body = "";
        } else if (probe.header("Transfer-Encoding") != null) {
            body = new String(HttpBackend.readChunked(in), StandardCharsets.ISO_8859_1);
        } else if (probe.header("Content-Length") != null) {
            body = TestBackend.readBody(in, Long.parseLong(probe.header("Content-Length")));
        } else {
            body = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        return new Response(status, head, body);
    }

    String readToEnd() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** Whether the peer closes the connection within a few seconds, with no byte before. */
    boolean closedByPeer() throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(5_000);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    /** Whether the connection is still open and silent for {@code millis}. */
    boolean openAndSilentFor(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            int b = in.read();
            throw new AssertionError(b < 0 ? "connection closed" : "unexpected byte " + b);
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
