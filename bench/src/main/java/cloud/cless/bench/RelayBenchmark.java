package cloud.cless.bench;

import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One HTTP exchange over loopback through the real proxy (an {@code upstream} service, so no Docker container is
 * involved) against the same exchange straight to the backend: what cless adds per request on a warm keep-alive
 * connection, with its pooled upstream connection. The request carries a body of {@code size} bytes, which the
 * backend (Netty's HTTP codec) sends back.
 */
@State(Scope.Benchmark)
public class RelayBenchmark extends AbstractBenchmark {
    private static final String TOKEN = "bench";

    @Param({"64", "16384"})
    int size;

    private EventLoopGroup backendGroup;
    private Channel backend;
    private ClessServer cless;
    private Path dataDir;
    private Socket viaCless;
    private Socket direct;
    private byte[] request;
    private byte[] reply;

    @Setup(Level.Trial)
    public void start() throws Exception {
        backendGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        backend = new ServerBootstrap()
                .group(backendGroup)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Echo());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        int backendPort = ((InetSocketAddress) backend.localAddress()).getPort();

        dataDir = Files.createTempDirectory("cless-relay-bench");
        cless = new ClessServer(new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.MEMORY, null, "39000-39099", Duration.ofMinutes(5), Duration.ofSeconds(30),
                16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(1), IoMode.AUTO, 1, false,
                Duration.ofSeconds(1), 100, Duration.ofSeconds(30))).start();
        register(backendPort);

        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'x');
        byte[] head = ("POST /echo HTTP/1.1\r\nHost: bench.localhost\r\nContent-Length: " + size + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        request = new byte[head.length + size];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, size);
        String responseHead = "HTTP/1.1 200 OK\r\ncontent-length: " + size + "\r\n\r\n";
        reply = new byte[responseHead.length() + size];
        viaCless = open(cless.proxyAddress().getPort());
        direct = open(backendPort);
        // Both answer the same bytes: cless passes the backend's head as it came.
        if (!Arrays.equals(exchange(viaCless), exchange(direct))) {
            throw new IllegalStateException("cless and the backend answered differently");
        }
    }

    @Benchmark
    public byte[] throughCless() throws IOException {
        return exchange(viaCless);
    }

    @Benchmark
    public byte[] direct() throws IOException {
        return exchange(direct);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        viaCless.close();
        direct.close();
        cless.close();
        backend.close().sync();
        backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private byte[] exchange(Socket socket) throws IOException {
        socket.getOutputStream().write(request);
        readFully(socket.getInputStream(), reply);
        return reply;
    }

    private void register(int backendPort) throws IOException, InterruptedException {
        String body = "{\"name\":\"bench\",\"upstream\":\"127.0.0.1:" + backendPort + "\"}";
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cless.adminAddress().getPort()
                                + "/serviceDefinitions"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("registering the upstream failed: " + response.body());
        }
    }

    private static Socket open(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static void readFully(InputStream in, byte[] into) throws IOException {
        int read = 0;
        while (read < into.length) {
            int n = in.read(into, read, into.length - read);
            if (n < 0) {
                throw new IOException("closed after " + read + " of " + into.length + " bytes");
            }
            read += n;
        }
    }

    /** Answers every request with its body, one flush per read loop. */
    private static final class Echo extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    request.content().retain());
            HttpUtil.setContentLength(response, response.content().readableBytes());
            ctx.write(response);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }
}
