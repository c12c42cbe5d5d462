package cloud.cless.proxy.e2e;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Docker engine as far as one cless knows it: a TCP port on 127.0.0.1 relayed to the engine's unix socket. A
 * test stops it (listener and every relayed connection) to make the engine unreachable without touching the shared
 * dockerd, and starts it again on the same port. A thread per direction: fine for a test.
 */
final class EngineForwarder implements Closeable {
    private final Path engineSocket;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private int port;
    private ServerSocketChannel listener;

    EngineForwarder(Path engineSocket) {
        this.engineSocket = engineSocket;
    }

    /** {@code tcp://127.0.0.1:<port>}, for {@code --docker-host}. */
    String dockerHost() {
        return "tcp://127.0.0.1:" + port;
    }

    /** Listens (on a free port the first time, on the same port afterwards) and relays every connection. */
    synchronized EngineForwarder start() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        listener = server;
        Thread acceptor = new Thread(() -> accept(server), "engine-forwarder-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    /** The engine is gone for whoever uses this port: no new connection, and the open ones are cut. */
    synchronized void stop() throws IOException {
        if (listener != null) {
            listener.close();
            listener = null;
        }
        for (SocketChannel channel : open) {
            channel.close();
        }
        open.clear();
    }

    @Override
    public void close() throws IOException {
        stop();
    }

    private void accept(ServerSocketChannel server) {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            SocketChannel engine;
            try {
                engine = SocketChannel.open(UnixDomainSocketAddress.of(engineSocket));
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            open.add(client);
            open.add(engine);
            pump(client, engine);
            pump(engine, client);
        }
    }

    private void pump(SocketChannel from, SocketChannel to) {
        Thread thread = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "engine-forwarder-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void closeQuietly(SocketChannel channel) {
        open.remove(channel);
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
