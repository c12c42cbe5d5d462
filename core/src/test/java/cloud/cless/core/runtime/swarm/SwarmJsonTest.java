package cloud.cless.core.runtime.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's JSON as Docker 20.10 sends it (recorded from a real swarm), read and written. */
class SwarmJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SwarmNode NODE = new SwarmNode("jhesz2uwjao1carkubi7enj11", "lab-n2", "10.213.57.12",
            "ready", "active", "worker", false);

    private static final String RUNNING_TASK = """
            {"ID":"lt3qkwlye1rctzmxtrjembje1","Version":{"Index":19},"CreatedAt":"2026-12-04T18:39:48.353405263Z",
             "UpdatedAt":"2026-12-04T18:39:48.806366829Z",
             "Spec":{"ContainerSpec":{"Image":"cless-test/hello:latest","Env":["PORT=8080"]}},
             "ServiceID":"aqvud6toven4dbqzh2advw4e8","Slot":1,"NodeID":"jhesz2uwjao1carkubi7enj11",
             "Status":{"Timestamp":"2026-12-04T18:39:48.770805154Z","State":"running","Message":"started",
              "ContainerStatus":{"ContainerID":"4b6dd9432b5fed5a","PID":23802,"ExitCode":0},
              "PortStatus":{"Ports":[{"Protocol":"tcp","TargetPort":8080,"PublishedPort":32768,"PublishMode":"host"}]}},
             "DesiredState":"running"}""";

    private static final String REJECTED_TASK = """
            {"ID":"4uebokkt1zkrjnvdamzi585l1","CreatedAt":"2026-12-04T18:44:24.0Z",
             "Spec":{"ContainerSpec":{"Image":"cless-test/missing:latest"}},"ServiceID":"nok8pnp3t53losg2kuir40gcy",
             "Slot":1,"NodeID":"jhesz2uwjao1carkubi7enj11",
             "Status":{"Timestamp":"2026-12-04T18:44:24.182173642Z","State":"rejected","Message":"preparing",
              "Err":"No such image: cless-test/missing:latest","ContainerStatus":{"ContainerID":"","PID":0,"ExitCode":0},
              "PortStatus":{}},
             "DesiredState":"ready"}""";

    @Test
    void aRunningTaskHasItsNodeAndPublishedPort() throws Exception {
        SwarmTask task = SwarmJson.task(JSON.readTree(RUNNING_TASK), id -> id.equals(NODE.id()) ? NODE : null);

        assertThat(task.isRunning()).isTrue();
        assertThat(task.isWanted()).isTrue();
        assertThat(task.publishedPort()).isEqualTo(32768);
        assertThat(task.address()).contains(new InetSocketAddress("10.213.57.12", 32768));
        assertThat(task.containerId()).isEqualTo("4b6dd9432b5fed5a");
        assertThat(task.serviceId()).isEqualTo("aqvud6toven4dbqzh2advw4e8");
        assertThat(task.createdAt()).isEqualTo(Instant.parse("2026-12-04T18:39:48.353405263Z"));
        assertThat(task.updatedAt()).isEqualTo(Instant.parse("2026-12-04T18:39:48.770805154Z"));
        assertThat(task.error()).isNull();
    }

    @Test
    void aRejectedTaskSaysWhichImageIsMissingOnWhichNode() throws Exception {
        SwarmTask task = SwarmJson.task(JSON.readTree(REJECTED_TASK), id -> NODE);

        assertThat(task.state()).isEqualTo(SwarmTaskState.REJECTED);
        assertThat(task.imageMissing()).isTrue();
        assertThat(task.address()).isEmpty();
        assertThat(task.containerId()).isNull();
        assertThat(task.describe()).isEqualTo("task 4uebokkt1zkrjnvdamzi585l1 (slot 1, image cless-test/missing:latest)"
                + " on node lab-n2 (10.213.57.12): rejected: No such image: cless-test/missing:latest");
    }

    @Test
    void aTaskWithoutANodeYetSaysSo() throws Exception {
        ObjectNode pending = (ObjectNode) JSON.readTree(REJECTED_TASK);
        pending.remove("NodeID");
        ((ObjectNode) pending.get("Status")).put("State", "pending").put("Message", "pending task scheduling")
                .remove("Err");

        SwarmTask task = SwarmJson.task(pending, id -> NODE);

        assertThat(task.node()).isNull();
        assertThat(task.describe()).endsWith("on node no node yet: pending: pending task scheduling");
    }

    @Test
    void aManagerThatReportsNoAddressIsReachedAtItsManagerAddress() throws Exception {
        JsonNode node = JSON.readTree("""
                {"ID":"i75","Description":{"Hostname":"lab-n1"},"Spec":{"Role":"manager","Availability":"active"},
                 "Status":{"State":"ready","Addr":"0.0.0.0"},
                 "ManagerStatus":{"Leader":true,"Reachability":"reachable","Addr":"10.213.57.11:2377"}}""");

        assertThat(SwarmJson.node(node))
                .isEqualTo(new SwarmNode("i75", "lab-n1", "10.213.57.11", "ready", "active", "manager", true));
    }

    @Test
    void theSpecOfARevisionIsReplicatedDnsrrWithAHostModePortAndItsLimits() {
        SwarmServiceSpec spec = new SwarmServiceSpec("hello", "hello-00001", "inst-1", "hello:1", 8080,
                Map.of("B", "2", "A", "1"), 128, 1.5, 0, Duration.ofSeconds(30), List.of("node.role==worker"));

        JsonNode built = new SwarmJson(JSON, 512).serviceSpec(spec);

        assertThat(built.toString()).isEqualTo("{\"Name\":\"cless-hello-00001\",\"Labels\":{"
                + "\"cloud.cless.installation\":\"inst-1\",\"cloud.cless.managed\":\"true\","
                + "\"cloud.cless.revision\":\"hello-00001\",\"cloud.cless.service\":\"hello\"},"
                + "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"hello:1\",\"Env\":[\"A=1\",\"B=2\",\"PORT=8080\"],"
                + "\"StopGracePeriod\":30000000000},"
                + "\"Resources\":{\"Limits\":{\"Pids\":512,\"MemoryBytes\":134217728,\"NanoCPUs\":1500000000}},"
                + "\"RestartPolicy\":{\"Condition\":\"any\",\"Delay\":2000000000,\"MaxAttempts\":0},"
                + "\"Placement\":{\"Constraints\":[\"node.role==worker\"]}},"
                + "\"Mode\":{\"Replicated\":{\"Replicas\":0}},"
                + "\"EndpointSpec\":{\"Mode\":\"dnsrr\",\"Ports\":[{\"Protocol\":\"tcp\",\"TargetPort\":8080,"
                + "\"PublishMode\":\"host\"}]}}");
        assertThat(SwarmJson.replicas(built)).isZero();
    }

    @Test
    void taskStatesReadTheEnginesWords() {
        assertThat(SwarmTaskState.fromApi("running")).isEqualTo(SwarmTaskState.RUNNING);
        assertThat(SwarmTaskState.fromApi("no-such-state")).isEqualTo(SwarmTaskState.UNKNOWN);
        assertThat(SwarmTaskState.fromApi(null)).isEqualTo(SwarmTaskState.UNKNOWN);
        assertThat(SwarmTaskState.RUNNING.isTerminal()).isFalse();
        assertThat(SwarmTaskState.SHUTDOWN.isTerminal()).isTrue();
        assertThat(SwarmTaskState.UNKNOWN.isTerminal()).isFalse();
        assertThat(SwarmTaskState.REJECTED.isFailure()).isTrue();
        assertThat(SwarmTaskState.COMPLETE.isFailure()).isFalse();
    }
}
