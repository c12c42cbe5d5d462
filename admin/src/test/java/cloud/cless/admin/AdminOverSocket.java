package cloud.cless.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The admin API of an {@link AdminFixture} on a real socket at a free port, and an HTTP client to call it. */
final class AdminOverSocket implements AutoCloseable {
    final AdminFixture fixture = new AdminFixture();
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final AdminServer server = new AdminServer(0, group, NioServerSocketChannel.class, fixture.pipeline);
    final InetSocketAddress address;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    AdminOverSocket() throws Exception {
        address = server.start().get(10, TimeUnit.SECONDS);
    }

    HttpResponse<String> call(String method, String path, String token, BodyPublisher body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), BodyHandlers.ofString());
    }

    /** Calls with the fixture's token; a null body sends none. */
    HttpResponse<String> call(String method, String path, String json) throws IOException, InterruptedException {
        return call(method, path, AdminFixture.TOKEN,
                json == null ? BodyPublishers.noBody() : BodyPublishers.ofString(json));
    }

    /** The response is the API's JSON error with this status and code. */
    static void assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).startsWith("{\"error\":\"" + code + "\",\"message\":\"");
    }

    @Override
    public void close() throws Exception {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        fixture.close();
    }
}
