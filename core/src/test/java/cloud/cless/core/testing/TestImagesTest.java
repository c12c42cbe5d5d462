package cloud.cless.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.ContainerSpec;
import cloud.cless.core.runtime.DockerContainerRuntime;
import cloud.cless.core.runtime.EngineExecutors;
import cloud.cless.core.runtime.EngineSurvey;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The test images do what {@link TestImages} promises, so that tests built on them can rely on it. */
class TestImagesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    private static EngineExecutors dockerExecutor;
    private static DockerContainerRuntime runtime;

    @BeforeAll
    static void openRuntime() {
        dockerExecutor = new EngineExecutors(2, 2);
        runtime = new DockerContainerRuntime(null, dockerExecutor);
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
        dockerExecutor.close();
    }

    @Test
    void helloServesIndexEnvSlowAndEcho() throws Exception {
        int port = run(TestImages.HELLO);

        assertThat(DockerSupport.awaitHttp(port, "/", TIMEOUT)).contains(" 200 ").contains(TestImages.HELLO_BODY);
        assertThat(DockerSupport.httpGet(port, "/cgi-bin/env")).contains(" 200 ").contains("Content-Type: text/plain")
                .contains("PORT=8080").contains("MARKER=from the test");
        assertThat(DockerSupport.httpGet(port, "/cgi-bin/slow?1")).contains(" 200 ").endsWith("slept 1\n");
        String body = "a body of 23 characters";
        String echoed = DockerSupport.exchange(port, "POST /cgi-bin/echo HTTP/1.0\r\nHost: x\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body);
        assertThat(echoed).contains(" 200 ").endsWith("\n\n" + body);
    }

    @Test
    void slowStartAnswersOnceHttpdListens() {
        int port = run(TestImages.SLOW_START);

        assertThat(DockerSupport.awaitHttp(port, "/", TIMEOUT)).contains(" 200 ").contains(TestImages.HELLO_BODY);
    }

    @Test
    void echoReturnsRawBytes() {
        int port = run(TestImages.ECHO);
        String payload = "not http at all\n";
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String answer = "";
        // Until nc listens inside, docker-proxy accepts and closes without an answer.
        while (answer.isEmpty() && System.nanoTime() < deadline) {
            try {
                answer = DockerSupport.exchange(port, payload);
            } catch (IOException e) {
                DockerSupport.sleep(Duration.ofMillis(50));
            }
        }
        assertThat(answer).isEqualTo(payload);
    }

    @Test
    void cleanupRemovesOnlyThatInstallationsContainers() throws Exception {
        String other = DockerSupport.newInstallationId();
        String mine = runtime.create(spec(TestImages.HELLO, docker.installationId())).get(60, TimeUnit.SECONDS);
        String theirs = runtime.create(spec(TestImages.HELLO, other)).get(60, TimeUnit.SECONDS);

        DockerSupport.cleanup(other);

        assertThat(runtime.survey(other).thenApply(EngineSurvey::managed).get(60, TimeUnit.SECONDS)).isEmpty();
        assertThat(runtime.survey(docker.installationId()).thenApply(EngineSurvey::managed).get(60, TimeUnit.SECONDS))
                .anySatisfy(container -> assertThat(container.id()).isEqualTo(mine));
        assertThat(theirs).isNotEqualTo(mine);
    }

    @Test
    void freeHostPortsAreInTheTestRange() {
        assertThat(DockerSupport.freeHostPort()).isBetween(30000, 39999);
        assertThat(DockerSupport.newInstallationId()).startsWith("test-").isNotEqualTo(docker.installationId());
    }

    /** Creates and starts a container of {@code image}; returns its host port. */
    private static int run(String image) {
        ContainerSpec spec = spec(image, docker.installationId());
        try {
            String id = runtime.create(spec).get(60, TimeUnit.SECONDS);
            runtime.start(id).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot run " + image, e);
        }
        return spec.hostPort();
    }

    private static ContainerSpec spec(String image, String installationId) {
        int hostPort = DockerSupport.freeHostPort();
        String instance = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        Map<String, String> labels = Map.of(
                ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, "images",
                ContainerLabels.INSTANCE, instance,
                ContainerLabels.HOST_PORT, Integer.toString(hostPort),
                ContainerLabels.INSTALLATION, installationId);
        return new ContainerSpec("cless-images-" + installationId + "-" + instance, image, TestImages.PORT, hostPort,
                Map.of("PORT", "8080", "MARKER", "from the test"), labels, null, null);
    }
}
