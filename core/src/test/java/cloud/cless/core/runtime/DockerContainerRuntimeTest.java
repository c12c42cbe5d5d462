package cloud.cless.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.TestImages;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DockerContainerRuntime} against the real engine. */
class DockerContainerRuntimeTest {
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final DockerSupport docker = new DockerSupport();

    private static EngineExecutors dockerExecutor;
    private static DockerContainerRuntime runtime;
    private static DockerClient client;

    @BeforeAll
    static void openRuntime() {
        dockerExecutor = new EngineExecutors(4, 4);
        runtime = new DockerContainerRuntime(null, dockerExecutor);
        client = DockerSupport.newClient();
    }

    @AfterAll
    static void closeRuntime() throws Exception {
        runtime.close();
        client.close();
        dockerExecutor.close();
    }

    @Test
    void startedContainerServesOnItsLoopbackPort() {
        ContainerSpec spec = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
        String id = await(runtime.create(spec));
        await(runtime.start(id));

        String index = DockerSupport.awaitHttp(spec.hostPort(), "/", HTTP_TIMEOUT);
        assertThat(index).startsWith("HTTP/1.").contains(" 200 ").contains(TestImages.HELLO_BODY);
        String env = DockerSupport.awaitHttp(spec.hostPort(), "/cgi-bin/env", HTTP_TIMEOUT);
        assertThat(env).contains("PORT=8080").contains("GREETING=hello there");

        await(runtime.remove(id));
    }

    @Test
    void containerIsCreatedWithLoopbackBindingLabelsAndLimits() {
        int hostPort = DockerSupport.freeHostPort();
        ContainerSpec spec = spec(TestImages.HELLO, docker.installationId(), hostPort, 64, 0.5);
        String id = await(runtime.create(spec));

        InspectContainerResponse inspect = client.inspectContainerCmd(id).exec();
        assertThat(inspect.getName()).isEqualTo("/" + spec.name());
        assertThat(inspect.getConfig().getLabels()).containsAllEntriesOf(spec.labels());
        assertThat(inspect.getConfig().getEnv()).contains("PORT=8080", "GREETING=hello there");
        assertThat(inspect.getConfig().getExposedPorts()).containsExactly(ExposedPort.tcp(8080));

        Map<ExposedPort, Ports.Binding[]> bindings = inspect.getHostConfig().getPortBindings().getBindings();
        assertThat(bindings).containsOnlyKeys(ExposedPort.tcp(8080));
        assertThat(bindings.get(ExposedPort.tcp(8080)))
                .containsExactly(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort));

        assertThat(inspect.getHostConfig().getSecurityOpts()).contains("no-new-privileges");
        assertThat(inspect.getHostConfig().getPidsLimit()).isEqualTo(512L);
        assertThat(inspect.getHostConfig().getMemory()).isEqualTo(64L * 1024 * 1024);
        assertThat(inspect.getHostConfig().getMemorySwap()).isEqualTo(64L * 1024 * 1024);
        assertThat(inspect.getHostConfig().getNanoCPUs()).isEqualTo(500_000_000L);
        assertThat(inspect.getHostConfig().getRestartPolicy().getName()).isIn("no", "", null);

        await(runtime.start(id));
        // Running, the engine publishes the port on loopback only.
        Ports.Binding[] published = client.inspectContainerCmd(id).exec()
                .getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(8080));
        assertThat(published).isNotEmpty()
                .allSatisfy(binding -> assertThat(binding.getHostIp()).isEqualTo("127.0.0.1"));

        await(runtime.remove(id));
    }

    @Test
    void containerWithoutLimitsHasNone() {
        String id = await(runtime.create(
                spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null)));

        InspectContainerResponse inspect = client.inspectContainerCmd(id).exec();
        assertThat(inspect.getHostConfig().getMemory()).isIn(0L, null);
        assertThat(inspect.getHostConfig().getNanoCPUs()).isIn(0L, null);

        await(runtime.remove(id));
    }

    @Test
    void listManagedFindsThisInstallationsContainersOnly() {
        String otherInstallation = DockerSupport.newInstallationId();
        try {
            ContainerSpec mine = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
            ContainerSpec theirs = spec(TestImages.HELLO, otherInstallation, DockerSupport.freeHostPort(), null, null);
            String myId = await(runtime.create(mine));
            String theirId = await(runtime.create(theirs));

            List<ManagedContainer> listed = managed();
            assertThat(listed).extracting(ManagedContainer::id).contains(myId).doesNotContain(theirId);
            ManagedContainer found = listed.stream().filter(c -> c.id().equals(myId)).findFirst().orElseThrow();
            assertThat(found.name()).isEqualTo(mine.name());
            assertThat(found.service()).isEqualTo(mine.labels().get(ContainerLabels.SERVICE));
            assertThat(found.revision()).isEqualTo("rt-00001");
            assertThat(found.instanceId()).isEqualTo(mine.labels().get(ContainerLabels.INSTANCE));
            assertThat(found.hostPort()).isEqualTo(mine.hostPort());
            assertThat(found.state()).isEqualTo(ContainerState.CREATED);
            assertThat(found.state() == ContainerState.RUNNING).isFalse();

            await(runtime.start(myId));
            assertThat(stateOf(myId)).isEqualTo(ContainerState.RUNNING);

            assertThat(managed(otherInstallation)).extracting(ManagedContainer::id)
                    .containsExactly(theirId);
            await(runtime.remove(myId));
            await(runtime.remove(theirId));
        } finally {
            DockerSupport.cleanup(otherInstallation);
        }
    }

    @Test
    void malformedHostPortLabelIsReportedAsMinusOne() {
        ContainerSpec valid = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
        Map<String, String> labels = new HashMap<>(valid.labels());
        labels.put(ContainerLabels.HOST_PORT, "not-a-port");
        ContainerSpec spec = new ContainerSpec(valid.name(), valid.image(), valid.containerPort(), valid.hostPort(),
                valid.env(), labels, null, null);
        String id = await(runtime.create(spec));

        ManagedContainer found = managed().stream()
                .filter(c -> c.id().equals(id)).findFirst().orElseThrow();
        assertThat(found.hostPort()).isEqualTo(-1);

        await(runtime.remove(id));
    }

    @Test
    void stopAndRemoveAreIdempotent() {
        ContainerSpec spec = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
        String id = await(runtime.create(spec));
        await(runtime.start(id));

        await(runtime.stop(id, 1));
        assertThat(stateOf(id)).isEqualTo(ContainerState.EXITED);
        await(runtime.stop(id, 1));
        await(runtime.remove(id));
        await(runtime.remove(id));
        await(runtime.stop(id, 1));

        assertThat(managed()).extracting(ManagedContainer::id)
                .doesNotContain(id);
    }

    @Test
    void removeForcesARunningContainerDown() {
        String id = await(runtime.create(
                spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null)));
        await(runtime.start(id));

        await(runtime.remove(id));

        assertThat(managed()).extracting(ManagedContainer::id)
                .doesNotContain(id);
    }

    @Test
    void pausedContainerResumesServing() {
        ContainerSpec spec = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
        String id = await(runtime.create(spec));
        await(runtime.start(id));
        DockerSupport.awaitHttp(spec.hostPort(), "/", HTTP_TIMEOUT);

        await(runtime.pause(id));
        assertThat(stateOf(id)).isEqualTo(ContainerState.PAUSED);
        await(runtime.unpause(id));
        assertThat(stateOf(id)).isEqualTo(ContainerState.RUNNING);

        assertThat(DockerSupport.awaitHttp(spec.hostPort(), "/", HTTP_TIMEOUT)).contains(TestImages.HELLO_BODY);
        await(runtime.remove(id));
    }

    @Test
    void pausingAStoppedContainerFailsWithItsId() {
        String id = await(runtime.create(
                spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null)));

        RuntimeFailure failure = failure(runtime.pause(id));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).contains(id);
        await(runtime.remove(id));
    }

    @Test
    void missingImageFailsAsImageNotFoundNamingTheImage() {
        String image = "cless-test/missing-" + ThreadLocalRandom.current().nextInt(1_000_000) + ":v1";
        ContainerSpec spec = spec(image, docker.installationId(), DockerSupport.freeHostPort(), null, null);

        RuntimeFailure failure = failure(runtime.create(spec));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.IMAGE_NOT_FOUND);
        assertThat(failure.getMessage()).contains("image '" + image + "' is not present locally and could not be pulled");
    }

    @Test
    void startOfAnUnknownContainerFailsWithItsId() {
        RuntimeFailure failure = failure(runtime.start("cless-no-such-container"));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).contains("cless-no-such-container");
    }

    @Test
    void nameConflictFailsAsContainerFailedNamingTheContainer() {
        ContainerSpec spec = spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null);
        String id = await(runtime.create(spec));

        RuntimeFailure failure = failure(runtime.create(spec));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).contains(spec.name()).contains(TestImages.HELLO);
        await(runtime.remove(id));
    }

    @Test
    void unreachableEngineFailsAsEngineUnavailable() {
        try (DockerContainerRuntime unreachable = new DockerContainerRuntime("tcp://127.0.0.1:1", dockerExecutor)) {
            RuntimeFailure pingFailure = failure(unreachable.ping());
            assertThat(pingFailure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(pingFailure.getMessage()).startsWith("Docker engine at tcp://127.0.0.1:1 is unreachable: ");

            RuntimeFailure createFailure = failure(unreachable.create(
                    spec(TestImages.HELLO, docker.installationId(), DockerSupport.freeHostPort(), null, null)));
            assertThat(createFailure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(failure(unreachable.survey(docker.installationId())).kind())
                    .isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
        }
    }

    @Test
    void missingEngineSocketFailsAsEngineUnavailable() {
        try (DockerContainerRuntime noSocket = new DockerContainerRuntime("unix:///nonexistent/docker.sock",
                dockerExecutor)) {
            RuntimeFailure failure = failure(noSocket.stop("some-container", 1));

            assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(failure.getMessage()).startsWith("Docker engine at unix:///nonexistent/docker.sock is unreachable")
                    .contains("stop of container some-container");
        }
    }

    @Test
    void shutDownExecutorFailsTheFutureInsteadOfThrowing() {
        ExecutorService closed = Executors.newSingleThreadExecutor();
        closed.shutdown();
        try (DockerContainerRuntime runtimeOnClosedExecutor = new DockerContainerRuntime(null,
                new EngineExecutors(closed, closed))) {
            CompletableFuture<Void> ping = runtimeOnClosedExecutor.ping();

            assertThat(failure(ping).kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
        }
    }

    @Test
    void theSurveyReportsThePortsEveryContainerHoldsCreatedOnesIncluded() {
        String other = DockerSupport.newInstallationId();
        try {
            ContainerSpec created = spec(TestImages.HELLO, other, DockerSupport.freeHostPort(), null, null);
            ContainerSpec started = spec(TestImages.HELLO, other, DockerSupport.freeHostPort(), null, null);
            await(runtime.create(created));
            await(runtime.start(await(runtime.create(started))));
            // And one no cless made, which only its configuration knows the port of while it is not started.
            int bare = DockerSupport.freeHostPort();
            client.createContainerCmd(TestImages.HELLO).withLabels(Map.of(ContainerLabels.INSTALLATION, other))
                    .withExposedPorts(ExposedPort.tcp(TestImages.PORT))
                    .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withPortBindings(
                            new com.github.dockerjava.api.model.PortBinding(
                                    Ports.Binding.bindIpAndPort("127.0.0.1", bare), ExposedPort.tcp(TestImages.PORT))))
                    .exec();

            EngineSurvey survey = await(runtime.survey(docker.installationId()));

            assertThat(survey.takenPorts()).contains(created.hostPort(), started.hostPort(), bare);
            assertThat(survey.managed()).extracting(ManagedContainer::name)
                    .doesNotContain(created.name(), started.name());
        } finally {
            DockerSupport.cleanup(other);
        }
    }

    @Test
    void aStartOnAPortAnotherContainerHoldsFailsAsPortTaken() {
        int port = DockerSupport.freeHostPort();
        String first = await(runtime.create(spec(TestImages.HELLO, docker.installationId(), port, null, null)));
        await(runtime.start(first));
        String second = await(runtime.create(spec(TestImages.HELLO, docker.installationId(), port, null, null)));

        RuntimeFailure failure = failure(runtime.start(second));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.PORT_TAKEN);
        assertThat(failure.getMessage()).contains(second);
        await(runtime.remove(first));
        await(runtime.remove(second));
    }

    @Test
    void anEngineThatAcceptsAndStaysSilentFailsEachCallAtItsDeadline() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress());
             DockerContainerRuntime hung = new DockerContainerRuntime("tcp://127.0.0.1:" + silent.getLocalPort(),
                     dockerExecutor, Duration.ofSeconds(1), DockerContainerRuntime.DEFAULT_PULL_TIMEOUT)) {
            long began = System.nanoTime();

            RuntimeFailure failure = failure(hung.create(spec(TestImages.HELLO, docker.installationId(),
                    DockerSupport.freeHostPort(), null, null)));

            assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(failure.getMessage()).contains("tcp://127.0.0.1:" + silent.getLocalPort());
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began)).as("ended by its deadline")
                    .isLessThan(10);
            assertThat(failure(hung.survey(docker.installationId())).kind())
                    .isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
        }
    }

    private static List<ManagedContainer> managed() {
        return managed(docker.installationId());
    }

    private static List<ManagedContainer> managed(String installationId) {
        return await(runtime.survey(installationId)).managed();
    }

    private static ContainerState stateOf(String id) {
        return managed().stream()
                .filter(c -> c.id().equals(id)).findFirst().orElseThrow().state();
    }

    static ContainerSpec spec(String image, String installationId, int hostPort, Integer memoryMb, Double cpus) {
        String instanceId = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String service = "rt";
        Map<String, String> labels = Map.of(
                ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, service,
                ContainerLabels.REVISION, service + "-00001",
                ContainerLabels.INSTANCE, instanceId,
                ContainerLabels.HOST_PORT, Integer.toString(hostPort),
                ContainerLabels.INSTALLATION, installationId);
        return new ContainerSpec("cless-" + service + "-" + installationId + "-" + instanceId, image, TestImages.PORT,
                hostPort, Map.of("PORT", "8080", "GREETING", "hello there"), labels, memoryMb, cpus);
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(90, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("runtime call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    static RuntimeFailure failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(90, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(RuntimeFailure.class);
        return (RuntimeFailure) thrown.getCause();
    }

}
