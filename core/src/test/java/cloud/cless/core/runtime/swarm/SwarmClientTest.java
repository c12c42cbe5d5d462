package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.testing.Futures.await;
import static cloud.cless.core.testing.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.testing.DockerSupport;
import cloud.cless.core.testing.SwarmSupport;
import cloud.cless.core.testing.TestImages;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link SwarmClient} against a real single-node swarm on a private engine (see {@link SwarmSupport}). */
class SwarmClientTest {
    private static final Duration TASK_TIMEOUT = Duration.ofSeconds(60);
    /** Matches no node: tasks of such a service stay pending, so scale tests start no containers. */
    private static final List<String> NOWHERE = List.of("node.labels.cless-test==nowhere");

    @RegisterExtension
    static final SwarmSupport swarm = new SwarmSupport();

    private static ExecutorService executor;
    private static SwarmClient client;
    private static DockerClient engine;

    @BeforeAll
    static void open() {
        executor = Executors.newFixedThreadPool(4);
        client = new SwarmClient(swarm.dockerHost(), executor, SwarmClient.DEFAULT_CALL_TIMEOUT);
        engine = swarm.newClient();
    }

    @AfterAll
    static void close() throws IOException {
        if (client != null) {
            client.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @Test
    void createsTheServiceOfARevisionWithItsLabelsEnvLimitsAndAHostModePort() {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 0, List.of());
        String id = await(client.createService(spec));

        Service service = engine.inspectServiceCmd(id).exec();
        ServiceSpec created = service.getSpec();
        assertThat(created.getName()).isEqualTo("cless-" + spec.revision()).isEqualTo(spec.name());
        assertThat(created.getLabels()).containsAllEntriesOf(Map.of(
                ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, "swarmtest",
                ContainerLabels.REVISION, spec.revision(),
                ContainerLabels.INSTALLATION, swarm.installationId()));
        assertThat(created.getTaskTemplate().getContainerSpec().getImage()).isEqualTo(TestImages.HELLO);
        assertThat(created.getTaskTemplate().getContainerSpec().getEnv())
                .containsExactly("GREETING=hello there", "PORT=8080");
        assertThat(created.getTaskTemplate().getContainerSpec().getStopGracePeriod()).isEqualTo(1_000_000_000L);
        assertThat(created.getTaskTemplate().getResources().getLimits().getMemoryBytes()).isEqualTo(64L << 20);
        assertThat(created.getTaskTemplate().getResources().getLimits().getNanoCPUs()).isEqualTo(500_000_000L);
        assertThat(created.getMode().getReplicated().getReplicas()).isZero();
        assertThat(created.getEndpointSpec().getMode()).isEqualTo(EndpointResolutionMode.DNSRR);
        assertThat(created.getEndpointSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getTargetPort()).isEqualTo(8080);
            assertThat(port.getPublishMode()).isEqualTo(PortConfig.PublishMode.host);
            assertThat(port.getPublishedPort()).isZero();
        });

        SwarmService read = await(client.service(spec.name()));
        assertThat(read.id()).isEqualTo(id);
        // The manager bumps a new service's version once by itself shortly after the create.
        assertThat(read.version()).isGreaterThanOrEqualTo(service.getVersion().getIndex());
        assertThat(read.replicas()).isZero();
        assertThat(read.image()).isEqualTo(TestImages.HELLO);
        assertThat(read.labels()).containsEntry(ContainerLabels.REVISION, spec.revision());
        await(client.removeService(spec.name()));
    }

    @Test
    void aTaskServesAtItsNodeAddressAndPublishedPortUntilScaledToZero() {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 0, List.of());
        await(client.createService(spec));
        assertThat(await(client.tasks(spec.name()))).isEmpty();

        ReplicaUpdate up = await(client.setReplicas(spec.name(), 1));
        assertThat(up.previous()).isZero();
        assertThat(up.replicas()).isEqualTo(1);
        assertThat(up.written()).isTrue();

        SwarmTask task = awaitTask(spec.name(), t -> t.isRunning() && t.address().isPresent());
        assertThat(task.slot()).isEqualTo(1);
        assertThat(task.image()).isEqualTo(TestImages.HELLO);
        assertThat(task.node()).isNotNull();
        assertThat(task.node().address()).isEqualTo(swarm.nodeAddress().getHostAddress());
        assertThat(task.address().orElseThrow().getAddress()).isEqualTo(swarm.nodeAddress());
        assertThat(task.publishedPort()).isBetween(1024, 65535);
        assertThat(task.containerId()).isNotBlank();
        assertThat(task.createdAt()).isNotNull();

        InetSocketAddress address = task.address().orElseThrow();
        assertThat(DockerSupport.awaitHttp(address, "/", TASK_TIMEOUT)).contains(" 200 ").contains(TestImages.HELLO_BODY);
        assertThat(DockerSupport.awaitHttp(address, "/cgi-bin/env", TASK_TIMEOUT))
                .contains("PORT=8080").contains("GREETING=hello there");

        // The container of the task: its limits, and none of the cless labels (a docker-runtime cless on this
        // engine must not take it for one of its own).
        InspectContainerResponse container = engine.inspectContainerCmd(task.containerId()).exec();
        assertThat(container.getHostConfig().getMemory()).isEqualTo(64L << 20);
        assertThat(container.getHostConfig().getNanoCPUs()).isEqualTo(500_000_000L);
        assertThat(container.getHostConfig().getPidsLimit()).isEqualTo(512L);
        assertThat(container.getConfig().getLabels()).doesNotContainKey(ContainerLabels.MANAGED)
                .containsEntry("com.docker.swarm.service.name", spec.name());

        ReplicaUpdate down = await(client.setReplicas(spec.name(), 0));
        assertThat(down.previous()).isEqualTo(1);
        assertThat(down.replicas()).isZero();
        SwarmTask stopped = awaitTask(spec.name(), t -> t.id().equals(task.id()) && t.state().isTerminal());
        // A task that a scale-down takes away is marked "remove" (deleted once it has stopped), not "shutdown".
        assertThat(stopped.desiredState()).isEqualTo(SwarmTaskState.REMOVE);
        assertThat(stopped.isWanted()).isFalse();
        await(client.removeService(spec.name()));
    }

    @Test
    void settingTheReplicasThereAreAlreadyWritesNothing() throws Exception {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 2, NOWHERE);
        await(client.createService(spec));
        long version = settledVersion(spec.name());

        ReplicaUpdate same = await(client.setReplicas(spec.name(), 2));

        assertThat(same.written()).isFalse();
        assertThat(same.attempts()).isEqualTo(1);
        assertThat(await(client.service(spec.name())).version()).isEqualTo(version);
        await(client.removeService(spec.name()));
    }

    @Test
    void twoConcurrentWritersLoseNoUpdate() throws Exception {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 0, NOWHERE);
        await(client.createService(spec));
        int perWriter = 6;
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Integer>> writers = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (SwarmClient other = new SwarmClient(swarm.dockerHost(), executor, SwarmClient.DEFAULT_CALL_TIMEOUT)) {
            for (SwarmClient writer : List.of(client, other)) {
                writers.add(CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    int attempts = 0;
                    for (int i = 0; i < perWriter; i++) {
                        attempts += await(writer.updateReplicas(spec.name(), replicas -> replicas + 1)).attempts();
                    }
                    return attempts;
                }, threads));
            }
            go.countDown();
            int attempts = 0;
            for (CompletableFuture<Integer> writer : writers) {
                attempts += writer.get(60, TimeUnit.SECONDS);
            }
            assertThat(await(client.service(spec.name())).replicas()).isEqualTo(2 * perWriter);
            assertThat(attempts).isGreaterThanOrEqualTo(2 * perWriter);
        } finally {
            threads.shutdownNow();
        }
        await(client.removeService(spec.name()));
    }

    @Test
    void aScaleThatAnotherWriterOvertakesReadsAgainAndKeepsTheOtherChange() {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 1, NOWHERE);
        String id = await(client.createService(spec));
        AtomicBoolean overtaken = new AtomicBoolean();
        List<Integer> seen = new ArrayList<>();

        // Between this writer's read and its write, another writer scales the service and adds a label: the write
        // based on the old version must be refused by the manager, and the retry must build on the new spec.
        ReplicaUpdate update = await(client.updateReplicas(spec.name(), replicas -> {
            seen.add(replicas);
            if (overtaken.compareAndSet(false, true)) {
                otherWriterScalesAndLabels(id, 3, "overtaken");
            }
            return replicas + 1;
        }));

        // Usually [1, 3]; one more 3 when the manager's own endpoint allocation bumped the version in between.
        assertThat(seen).startsWith(1, 3);
        assertThat(seen.subList(1, seen.size())).containsOnly(3);
        assertThat(update.attempts()).isEqualTo(seen.size());
        assertThat(update.previous()).isEqualTo(3);
        assertThat(update.replicas()).isEqualTo(4);
        Service after = engine.inspectServiceCmd(id).exec();
        assertThat(after.getSpec().getMode().getReplicated().getReplicas()).isEqualTo(4);
        assertThat(after.getSpec().getLabels()).containsEntry("cless-test.writer", "overtaken");
        await(client.removeService(spec.name()));
    }

    @Test
    void aTaskOfAMissingImageIsRejectedNamingTheImageAndTheNode() {
        String missing = "cless-test/missing-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ":latest";
        SwarmServiceSpec spec = spec(missing, 1, List.of());
        await(client.createService(spec));

        SwarmTask rejected = awaitTask(spec.name(), t -> t.state() == SwarmTaskState.REJECTED);

        assertThat(rejected.imageMissing()).isTrue();
        assertThat(rejected.error()).isEqualTo("No such image: " + missing);
        assertThat(rejected.image()).isEqualTo(missing);
        assertThat(rejected.node()).isNotNull();
        assertThat(rejected.address()).isEmpty();
        assertThat(rejected.describe())
                .contains(missing)
                .contains("on node " + rejected.node().hostname() + " (" + swarm.nodeAddress().getHostAddress() + ")")
                .contains("rejected: No such image");
        await(client.removeService(spec.name()));
    }

    @Test
    void removingAServiceEndsItsTasksAndRemovingItAgainIsNoError() {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 1, List.of());
        await(client.createService(spec));
        SwarmTask task = awaitTask(spec.name(), SwarmTask::isRunning);

        await(client.removeService(spec.name()));
        await(client.removeService(spec.name()));

        assertThat(failure(client.tasks(spec.name()))).isInstanceOf(SwarmServiceMissingException.class);
        awaitCondition(() -> engine.listContainersCmd().withShowAll(true).exec().stream()
                .map(Container::getId).noneMatch(task.containerId()::equals), "the task's container is removed");
    }

    @Test
    void listManagedFindsThisInstallationsServicesOnly() {
        SwarmServiceSpec mine = spec(TestImages.HELLO, 0, List.of());
        String otherInstallation = DockerSupport.newInstallationId();
        SwarmServiceSpec theirs = new SwarmServiceSpec("swarmtest", revision(), otherInstallation, TestImages.HELLO,
                TestImages.PORT, Map.of(), null, null, 0, Duration.ofSeconds(1), List.of());
        String myId = await(client.createService(mine));
        String theirId = await(client.createService(theirs));

        assertThat(await(client.listManaged(swarm.installationId()))).extracting(SwarmService::id)
                .contains(myId).doesNotContain(theirId);
        assertThat(await(client.listManaged(otherInstallation))).singleElement().satisfies(service -> {
            assertThat(service.id()).isEqualTo(theirId);
            assertThat(service.name()).isEqualTo(theirs.name());
            assertThat(service.labels()).containsEntry(ContainerLabels.REVISION, theirs.revision());
        });
        await(client.removeService(mine.name()));
        await(client.removeService(theirs.name()));
    }

    @Test
    void theInstallationsTasksAreListedInOneRequest() {
        SwarmServiceSpec first = spec(TestImages.HELLO, 1, NOWHERE);
        SwarmServiceSpec second = spec(TestImages.HELLO, 2, NOWHERE);
        SwarmServiceSpec theirs = new SwarmServiceSpec("swarmtest", revision(), DockerSupport.newInstallationId(),
                TestImages.HELLO, TestImages.PORT, Map.of(), null, null, 1, Duration.ofSeconds(1), NOWHERE);
        String firstId = await(client.createService(first));
        String secondId = await(client.createService(second));
        String theirId = await(client.createService(theirs));
        awaitCondition(() -> await(client.tasks(second.name())).size() == 2, "the tasks are made");

        List<SwarmTask> tasks = await(client.installationTasks(swarm.installationId()));

        assertThat(tasks).extracting(SwarmTask::serviceId).contains(firstId, secondId).doesNotContain(theirId);
        assertThat(tasks.stream().filter(t -> t.serviceId().equals(secondId))).hasSize(2);
        for (SwarmServiceSpec spec : List.of(first, second, theirs)) {
            await(client.removeService(spec.name()));
        }
    }

    @Test
    void theNodeListShowsTheManagerAtItsAddress() {
        List<SwarmNode> nodes = await(client.nodes());

        assertThat(nodes).singleElement().satisfies(node -> {
            assertThat(node.address()).isEqualTo(swarm.nodeAddress().getHostAddress());
            assertThat(node.role()).isEqualTo("manager");
            assertThat(node.leader()).isTrue();
            assertThat(node.schedulable()).isTrue();
            assertThat(node.hostname()).isNotBlank();
        });
        await(client.ping());
    }

    @Test
    void callsOnAServiceThatIsNotThereFailNamingIt() {
        String name = SwarmServiceSpec.nameFor(revision());

        for (CompletableFuture<?> call : List.of(client.setReplicas(name, 1), client.tasks(name), client.service(name))) {
            RuntimeFailure failure = failure(call);
            assertThat(failure).isInstanceOf(SwarmServiceMissingException.class);
            assertThat(((SwarmServiceMissingException) failure).serviceName()).isEqualTo(name);
            assertThat(failure.getMessage()).contains("swarm service " + name + " does not exist");
        }
    }

    @Test
    void creatingAServiceThatExistsIsRefusedNamingIt() {
        SwarmServiceSpec spec = spec(TestImages.HELLO, 0, NOWHERE);
        await(client.createService(spec));

        RuntimeFailure failure = failure(client.createService(spec));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).startsWith("creation of swarm service " + spec.name() + " (image "
                + TestImages.HELLO + ") failed: ").contains("already exists");
        await(client.removeService(spec.name()));
    }

    @Test
    void anEngineThatIsNotThereIsUnavailable() {
        try (SwarmClient nowhere = new SwarmClient("unix:///nonexistent/docker.sock", executor, Duration.ofSeconds(5))) {
            RuntimeFailure failure = failure(nowhere.tasks("cless-some-00001"));

            assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(failure.getMessage()).startsWith("Docker engine at unix:///nonexistent/docker.sock is unreachable")
                    .contains("listing of the tasks of swarm service cless-some-00001");
        }
    }

    @Test
    void anEngineThatDoesNotAnswerRunsIntoTheDeadline() throws IOException {
        // Accepts connections and never answers: a hung engine.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.start();
            String host = "tcp://127.0.0.1:" + silent.getLocalPort();
            try (SwarmClient hung = new SwarmClient(host, executor, Duration.ofMillis(700))) {
                long started = System.nanoTime();
                RuntimeFailure failure = failure(hung.setReplicas("cless-some-00001", 1));

                assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
                assertThat(failure.getMessage()).contains(host).contains("scale of swarm service cless-some-00001");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
            } finally {
                silent.close();
                for (Socket socket : accepted) {
                    socket.close();
                }
            }
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    private static SwarmServiceSpec spec(String image, int replicas, List<String> constraints) {
        return new SwarmServiceSpec("swarmtest", revision(), swarm.installationId(), image, TestImages.PORT,
                Map.of("GREETING", "hello there"), 64, 0.5, replicas, Duration.ofSeconds(1), constraints);
    }

    private static String revision() {
        return "swarmtest-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    }

    /**
     * The other writer of the overtaking test, straight through the engine API with the version it reads. It
     * retries too: the manager itself bumps a new service's version once it has allocated its endpoint.
     */
    private static void otherWriterScalesAndLabels(String serviceId, int replicas, String label) {
        for (int attempt = 1; ; attempt++) {
            Service service = engine.inspectServiceCmd(serviceId).exec();
            ServiceSpec changed = service.getSpec();
            changed.getMode().getReplicated().withReplicas(replicas);
            changed.withLabels(new HashMap<>(changed.getLabels()));
            changed.getLabels().put("cless-test.writer", label);
            try {
                engine.updateServiceCmd(serviceId, changed).withVersion(service.getVersion().getIndex()).exec();
                return;
            } catch (InternalServerErrorException e) {
                if (attempt >= 10 || !String.valueOf(e.getMessage()).contains("update out of sequence")) {
                    throw e;
                }
            }
        }
    }

    private static SwarmTask awaitTask(String service, Predicate<SwarmTask> wanted) {
        long deadline = System.nanoTime() + TASK_TIMEOUT.toNanos();
        List<SwarmTask> last = List.of();
        while (System.nanoTime() < deadline) {
            last = await(client.tasks(service));
            for (SwarmTask task : last) {
                if (wanted.test(task)) {
                    return task;
                }
            }
            sleep(50);
        }
        throw new AssertionError("no such task of " + service + " within " + TASK_TIMEOUT + "; tasks: "
                + last.stream().map(SwarmTask::describe).toList());
    }

    private static void awaitCondition(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TASK_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TASK_TIMEOUT + ": " + what);
            }
            sleep(50);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * The service's version index once Swarm has stopped writing it itself: right after a create, the orchestrator
     * may update the service of its own accord, which would look like a write of ours.
     */
    private static long settledVersion(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long version = await(client.service(name)).version();
        while (System.nanoTime() < deadline) {
            Thread.sleep(250);
            long again = await(client.service(name)).version();
            if (again == version) {
                return version;
            }
            version = again;
        }
        return version;
    }
}
