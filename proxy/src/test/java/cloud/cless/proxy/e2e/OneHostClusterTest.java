package cloud.cless.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /cluster} of a cless on one host (no shared store): itself, live and leading, and no database. */
class OneHostClusterTest {
    private static final String TOKEN = "one-host-token";

    @TempDir
    Path dataDir;

    @Test
    void oneHostIsAClusterOfOneThatLeadsItself() throws Exception {
        Instant before = Instant.now();
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.MEMORY, null, "39700-39799", Duration.ofMinutes(5), Duration.ofSeconds(30),
                16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(1), IoMode.AUTO, 1, false,
                Duration.ofSeconds(1), 100, Duration.ofSeconds(30));
        try (ClessServer server = new ClessServer(config).start()) {
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", server.adminAddress().getPort());
            assertThat(RawHttp.request(admin, "GET", "127.0.0.1", "/cluster", null, null).status()).isEqualTo(401);

            RawHttp.Response response = RawHttp.request(admin, "GET", "127.0.0.1", "/cluster", TOKEN, null);

            assertThat(response.status()).as(response.body()).isEqualTo(200);
            JsonNode cluster = new ObjectMapper().readTree(response.body());
            String self = cluster.get("replica_id").asText();
            assertThat(cluster.get("leader_id").asText()).isEqualTo(self);
            assertThat(cluster.get("database").isNull()).isTrue();
            assertThat(cluster.get("scaling").isNull()).isTrue();
            assertThat(cluster.get("replicas")).singleElement().satisfies(replica -> {
                assertThat(replica.get("id").asText()).isEqualTo(self);
                assertThat(replica.get("state").asText()).isEqualTo("live");
                assertThat(replica.get("leader").asBoolean()).isTrue();
                assertThat(replica.get("address").asText()).isEqualTo("127.0.0.1:" + server.proxyAddress().getPort());
                assertThat(replica.get("name").asText()).endsWith(":" + server.proxyAddress().getPort());
                assertThat(Instant.parse(replica.get("started_at").asText())).isAfterOrEqualTo(
                        before.minusSeconds(1));
                assertThat(replica.get("revisions").isEmpty()).isTrue();
            });
        }
    }
}
