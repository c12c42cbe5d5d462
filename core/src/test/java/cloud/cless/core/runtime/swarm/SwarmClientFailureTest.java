package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.testing.Futures.await;
import static cloud.cless.core.testing.Futures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.RuntimeFailure;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How {@link SwarmClient} classifies what a manager answers; canned answers (the real ones are in SwarmClientTest). */
class SwarmClientFailureTest {
    private static final String HOST = "tcp://manager.example:2375";
    private static final String SERVICE = """
            {"ID":"svc1","Version":{"Index":%d},"Spec":{"Name":"cless-a-00001","Labels":{},
             "TaskTemplate":{"ContainerSpec":{"Image":"app:1"},"Resources":{"Limits":{"Pids":512}}},
             "Mode":{"Replicated":{"Replicas":%d}}}}""";

    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final CannedEngine engine = new CannedEngine();

    @AfterEach
    void shutDown() {
        executor.shutdownNow();
    }

    private SwarmClient client(Duration timeout) {
        return new SwarmClient(HOST, engine, executor, timeout);
    }

    @Test
    void aNodeThatIsNotAManagerIsUnavailableNotARefusal() {
        engine.answer(503, "{\"message\":\"This node is not a swarm manager. Use \\\"docker swarm init\\\" or"
                + " \\\"docker swarm join\\\" to connect this node to swarm and try again.\"}");

        RuntimeFailure failure = failure(client(Duration.ofSeconds(5)).listManaged("inst"));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
        assertThat(failure.getMessage()).isEqualTo("the Swarm manager at " + HOST + " cannot serve the listing of"
                + " the swarm services of installation inst: This node is not a swarm manager. Use \"docker swarm"
                + " init\" or \"docker swarm join\" to connect this node to swarm and try again.");
    }

    @Test
    void anUpdateOutOfSequenceIsReadAgainWithTheNewVersion() {
        engine.answer(200, SERVICE.formatted(10, 1))
                .answer(500, "{\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}")
                .answer(200, SERVICE.formatted(11, 2))
                .answer(200, "{\"Warnings\":null}");

        ReplicaUpdate update = await(client(Duration.ofSeconds(5)).updateReplicas("cless-a-00001", r -> r + 1));

        assertThat(update).isEqualTo(new ReplicaUpdate("svc1", 2, 3, 11, 2, true));
        assertThat(engine.requests()).containsExactly(
                "GET /v1.41/services/cless-a-00001",
                "POST /v1.41/services/svc1/update?version=10",
                "GET /v1.41/services/cless-a-00001",
                "POST /v1.41/services/svc1/update?version=11");
    }

    @Test
    void anotherRefusedUpdateIsNotRetried() {
        engine.answer(200, SERVICE.formatted(10, 1))
                .answer(500, "{\"message\":\"rpc error: code = Unknown desc = raft: no leader\"}");

        RuntimeFailure failure = failure(client(Duration.ofSeconds(5)).setReplicas("cless-a-00001", 0));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage())
                .isEqualTo("scale of swarm service cless-a-00001 failed: rpc error: code = Unknown desc = raft: no leader");
        assertThat(engine.requests()).hasSize(2);
    }

    @Test
    void aGlobalServiceCannotBeScaled() {
        engine.answer(200, """
                {"ID":"svc1","Version":{"Index":3},"Spec":{"Name":"cless-a-00001","Mode":{"Global":{}}}}""");

        RuntimeFailure failure = failure(client(Duration.ofSeconds(5)).setReplicas("cless-a-00001", 2));

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).contains("swarm service cless-a-00001 is not a replicated service");
    }

    @Test
    void anAnswerThatIsNotJsonIsTheEnginesFault() {
        engine.answer(200, "<html>proxy error</html>");

        RuntimeFailure failure = failure(client(Duration.ofSeconds(5)).nodes());

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.CONTAINER_FAILED);
        assertThat(failure.getMessage()).startsWith("listing of the swarm nodes failed: the engine's answer to GET"
                + " /nodes is not JSON");
    }

    @Test
    void aCallQueuedBehindAHungOneFailsAtItsDeadline() throws Exception {
        CompletableFuture<Void> blocker = new CompletableFuture<>();
        executor.execute(blocker::join);
        try {
            RuntimeFailure failure = failure(client(Duration.ofMillis(200)).tasks("cless-a-00001"));

            assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
            assertThat(failure.getMessage()).isEqualTo("the Swarm manager at " + HOST + " did not finish the listing"
                    + " of the tasks of swarm service cless-a-00001 within 200 ms");
        } finally {
            blocker.complete(null);
        }
        // The call that missed its deadline is dropped, not run late.
        executor.submit(() -> null).get(5, TimeUnit.SECONDS);
        assertThat(engine.requests()).isEmpty();
    }

    @Test
    void aShutDownExecutorFailsTheFutureInsteadOfThrowing() {
        executor.shutdown();

        RuntimeFailure failure = failure(client(Duration.ofSeconds(5)).ping());

        assertThat(failure.kind()).isEqualTo(RuntimeFailure.Kind.ENGINE_UNAVAILABLE);
    }
}
