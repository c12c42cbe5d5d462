package cloud.cless.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 to another address, which a test can {@link #cut()} (every relayed connection reset,
 * new ones refused) and {@link #restore()} on the same port: one client cut off from a server the others still
 * reach, as a network partition does it.
 */
public final class TcpRelay implements AutoCloseable {
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private ServerSocket listener;
    private int port; // 0 until the first listen, then the same for every restore

    private TcpRelay(InetSocketAddress target) {
        this.target = target;
    }

    /** A relay to {@code host:port} on a free port of 127.0.0.1. */
    public static TcpRelay to(String host, int port) {
        TcpRelay relay = new TcpRelay(new InetSocketAddress(host, port));
        relay.listen();
        return relay;
    }

    public synchronized int port() {
        return port;
    }

    /** Resets every relayed connection and refuses new ones until {@link #restore()}. */
    public synchronized void cut() {
        closeListener();
        for (Socket socket : sockets) {
            reset(socket);
        }
        sockets.clear();
    }

    /** Relays again, on the same port. */
    public synchronized void restore() {
        if (listener == null) {
            listen();
        }
    }

    @Override
    public void close() {
        cut();
    }

    private synchronized void listen() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            listener = socket;
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
        ServerSocket accepting = listener;
        Thread acceptor = new Thread(() -> accept(accepting), "tcp-relay-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept(ServerSocket accepting) {
        while (!accepting.isClosed()) {
            try {
                Socket client = accepting.accept();
                Socket server = new Socket();
                try {
                    server.connect(target, 5_000);
                } catch (IOException e) {
                    reset(client);
                    continue;
                }
                synchronized (this) {
                    if (listener != accepting) { // cut meanwhile
                        reset(client);
                        reset(server);
                        return;
                    }
                    sockets.add(client);
                    sockets.add(server);
                }
                pump(client, server);
                pump(server, client);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException ended) {
                // one side went; the other follows
            } finally {
                reset(from);
                reset(to);
            }
        }, "tcp-relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void closeListener() {
        if (listener != null) {
            try {
                listener.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            listener = null;
        }
    }

    /** Closes with a reset rather than a FIN, as a broken network path looks to the peer. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
