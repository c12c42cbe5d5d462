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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Docker engine as far as one cless knows it: a TCP port on 127.0.0.1 relayed to the engine's unix socket. A
 * test stops it (listener and every relayed connection) to make the engine unreachable without touching the shared
 * dockerd, and starts it again on the same port. It can also hold back the engine's event stream, so that cless
 * does not hear of a container's death before a test has seen what a connection to it does, and it can freeze: it
 * then still accepts connections but passes nothing on in either direction, as an engine stuck under load does,
 * until it is thawed. A thread per direction: fine for a test.
 */
final class EngineForwarder implements Closeable {
    private final Path engineSocket;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Object eventsLock = new Object();
    private boolean eventsHeld; // guarded by eventsLock
    private boolean frozen; // guarded by eventsLock
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
        thaw();
        releaseEvents();
        stop();
    }

    /** From now on, what the engine sends on an event stream ({@code GET /events}) waits here. */
    void holdEvents() {
        synchronized (eventsLock) {
            eventsHeld = true;
        }
    }

    /** From now on nothing passes in either direction: connections are accepted and then stay silent. */
    void freeze() {
        synchronized (eventsLock) {
            frozen = true;
        }
    }

    /** Passes on what was held while frozen, and everything after. */
    void thaw() {
        synchronized (eventsLock) {
            frozen = false;
            eventsLock.notifyAll();
        }
    }

    /** Passes on the held events and every later one. */
    void releaseEvents() {
        synchronized (eventsLock) {
            eventsHeld = false;
            eventsLock.notifyAll();
        }
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
            boolean[] eventStream = new boolean[1];
            pump(client, engine, eventStream, false);
            pump(engine, client, eventStream, true);
        }
    }

    /**
     * Copies {@code from} to {@code to}. The request side marks an event stream by its request line (before it
     * reaches the engine, so before any answer); the answer side of such a stream waits while events are held.
     */
    private void pump(SocketChannel from, SocketChannel to, boolean[] eventStream, boolean answers) {
        Thread thread = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buffer) >= 0) {
                    buffer.flip();
                    if (!answers) {
                        // Pooled connections carry several requests: each request line decides anew.
                        String head = StandardCharsets.ISO_8859_1.decode(buffer.duplicate()).toString();
                        if (head.matches("(?s)[A-Z]+ /\\S* HTTP/1.*")) {
                            synchronized (eventStream) {
                                eventStream[0] = head.matches("(?s)GET /(\\S*/)?events\\b.*");
                            }
                        }
                    }
                    if (answers) {
                        boolean events;
                        synchronized (eventStream) {
                            events = eventStream[0];
                        }
                        if (events) {
                            awaitWhile(() -> eventsHeld, "holding events");
                        }
                    }
                    awaitWhile(() -> frozen, "frozen");
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

    /** Blocks while {@code held} is true (read under the lock; {@link #thaw} and {@link #releaseEvents} notify). */
    private void awaitWhile(java.util.function.BooleanSupplier held, String what) throws IOException {
        synchronized (eventsLock) {
            while (held.getAsBoolean()) {
                try {
                    eventsLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while " + what, e);
                }
            }
        }
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
