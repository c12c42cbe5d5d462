package cloud.cless.core.instance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A stand-in for an app in a container, on 127.0.0.1: answers HTTP, resets like docker-proxy, or hangs. */
final class FakeAppServer implements AutoCloseable {

    /** How the server treats each accepted connection. */
    enum Mode {
        /** Reads the request head and answers with {@link #status}. */
        RESPOND,
        /** Accepts and resets at once (SO_LINGER 0), as docker-proxy does while nothing listens inside. */
        RESET,
        /** Accepts and never answers. */
        SILENT
    }

    private final ServerSocket server;
    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-app");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile Mode mode;
    private volatile int status = 200;

    private FakeAppServer(ServerSocket server, Mode mode) {
        this.server = server;
        this.mode = mode;
        connections.execute(this::acceptLoop);
    }

    static FakeAppServer start(int port, Mode mode) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return new FakeAppServer(socket, mode);
    }

    int port() {
        return server.getLocalPort();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    void status(int status) {
        this.status = status;
    }

    int accepted() {
        return accepted.get();
    }

    List<String> requestLines() {
        return requestLines;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                open.add(socket);
                connections.execute(() -> handle(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try (socket) {
            switch (mode) {
                case RESET -> socket.setSoLinger(true, 0);
                case SILENT -> socket.getInputStream().transferTo(OutputStream.nullOutputStream());
                case RESPOND -> respond(socket);
            }
        } catch (IOException ignored) {
            // The client went away; nothing to do for a test server.
        } finally {
            open.remove(socket);
        }
    }

    private void respond(Socket socket) throws IOException {
        String head = readHead(socket.getInputStream());
        requestLines.add(head.lines().findFirst().orElse(""));
        String body = "ok";
        String response = "HTTP/1.1 " + status + " Whatever\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body;
        socket.getOutputStream().write(response.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
        connections.shutdownNow();
    }
}
