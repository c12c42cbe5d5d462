package cloud.cless.core.instance;

import static cloud.cless.core.instance.ReadinessProbeTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import io.netty.util.concurrent.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A pool per revision: traffic splits, changes of the traffic (drains, minimums, spares), tags, deleted
 * revisions and services, scaling that changes in place, rollback; on the fake engine with a clock the tests move.
 */
class RevisionLifecycleTest extends LifecycleFixture {
    private static final String HOST = "hello.localhost";
    private static final String ONE = "hello-00001";
    private static final String TWO = "hello-00002";

    /** hello-00001 (V=1) with all of the traffic, then hello-00002 (V=2) with none; both with {@code settings}. */
    private void twoRevisions(UnaryOperator<ServiceDefinition.Builder> settings) {
        registered(settings.apply(service("hello")).env(Map.of("V", "1"))
                .traffic(List.of(TrafficTarget.to(ONE, 100))).build());
        services.update(settings.apply(service("hello")).env(Map.of("V", "2")).build());
        assertThat(services.service("hello").revisions()).extracting(Revision::name).containsExactly(ONE, TWO);
    }

    private void traffic(TrafficTarget... traffic) {
        services.traffic("hello", traffic);
    }

    private InstanceLease leaseAt(String host) throws Exception {
        InstanceLease lease = await(acquireAt(host));
        leases.add(lease);
        return lease;
    }

    /** Leases through the service's host until each of its two revisions served one; by version (V). */
    private Map<String, InstanceLease> oneOfEach() throws Exception {
        Map<String, InstanceLease> byVersion = new HashMap<>();
        for (int i = 0; i < 200 && byVersion.size() < 2; i++) {
            InstanceLease lease = leaseAt(HOST);
            byVersion.putIfAbsent(versionOf(lease), lease);
        }
        assertThat(byVersion).as("both revisions served within 200 requests").containsOnlyKeys("1", "2");
        return byVersion;
    }

    private InstanceInfo instanceOf(InstanceLease lease) {
        return manager.instances("hello").stream().filter(i -> i.id().equals(lease.instanceId())).findFirst()
                .orElseThrow();
    }

    @Test
    void aFiftyFiftySplitGivesEachRevisionInstancesOfItsOwn() throws Exception {
        twoRevisions(b -> b);
        traffic(TrafficTarget.to(ONE, 50), TrafficTarget.to(TWO, 50));

        Map<String, InstanceLease> served = oneOfEach();

        assertThat(runtime.created).hasSize(2).allSatisfy(spec -> assertThat(spec.labels()
                .get(ContainerLabels.REVISION)).isEqualTo("hello-0000" + spec.env().get("V")));
        assertThat(instanceOf(served.get("1")).revision()).isEqualTo(ONE);
        assertThat(instanceOf(served.get("2")).revision()).isEqualTo(TWO);
        assertThat(count("cless.cold.starts", "hello", "revision", ONE)).isEqualTo(1);
        assertThat(count("cless.cold.starts", "hello", "revision", TWO)).isEqualTo(1);
        assertThat(instancesIn("hello", ONE, "ready")).isEqualTo(1);
        assertThat(instancesIn("hello", TWO, "ready")).isEqualTo(1);
        // The acquire that chooses by the traffic itself reaches both as well, and starts nothing more.
        for (int i = 0; i < 20; i++) {
            leases.add(await(acquire(service("hello").build())));
        }
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void aRevisionThatLosesItsTrafficDrainsAfterItsLastRequestAndIsNeverStartedAgain() throws Exception {
        twoRevisions(b -> b);
        Route routedBefore = route(HOST);
        Revision chosenBefore = routedBefore.revision(ThreadLocalRandom.current());
        InstanceLease old = leaseAt(HOST);
        assertThat(versionOf(old)).isEqualTo("1");

        traffic(TrafficTarget.to(TWO, 100));

        assertThat(old.retired()).as("no new leases on it: pooled connections close").isDone();
        assertThat(instanceOf(old).state()).isEqualTo(InstanceState.DRAINING);
        assertThat(runtime.removes()).as("its request is still in flight").isZero();
        InstanceLease late = await(manager.acquire(routedBefore, chosenBefore, group.next()));
        leases.add(late);
        assertThat(chosenBefore.name()).isEqualTo(ONE);
        assertThat(versionOf(late)).as("routed before the change: chosen again by the traffic now").isEqualTo("2");
        assertThat(late.revision()).as("the lease names the revision that serves").isEqualTo(TWO);
        assertThat(old.revision()).isEqualTo(ONE);
        assertThat(createdFor(ONE)).as("never started again").isEqualTo(1);

        int port = old.address().getPort();
        old.release();
        waitUntil(() -> runtime.removes() == 1 && !ports.held.contains(port));
        assertThat(manager.instances("hello")).extracting(InstanceInfo::revision).containsExactly(TWO);
    }

    @Test
    void requestsWaitingOnARevisionThatLosesItsTrafficArePlacedByTheTrafficNow() throws Exception {
        twoRevisions(b -> b.concurrency(1).maxInstances(1));
        InstanceLease held = leaseAt(HOST);
        Future<InstanceLease> queued = acquireAt(HOST);
        assertThat(queued.isDone()).as("waits at max_instances of %s", ONE).isFalse();

        traffic(TrafficTarget.to(TWO, 100));

        InstanceLease moved = await(queued);
        leases.add(moved);
        assertThat(versionOf(moved)).isEqualTo("2");
        assertThat(versionOf(held)).isEqualTo("1");
        assertThat(held.retired()).isDone();
        assertThat(count("cless.queue.rejections", "hello", "revision", ONE, "reason", "timeout")).isZero();
    }

    @Test
    void minInstancesAndSparesGoWhereTheTrafficIs() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        twoRevisions(b -> b.minInstances(1).maxInstances(2));
        waitUntil(() -> instancesIn("hello", ONE, "ready") == 1 && sparesOf(ONE) == 1);

        traffic(TrafficTarget.to(ONE, 100), TrafficTarget.to(TWO, 0).withTag("canary"));
        tick();
        assertThat(createdFor(TWO)).as("a tag-only revision: no minimum, no spare").isZero();

        traffic(TrafficTarget.to(ONE, 50), TrafficTarget.to(TWO, 50));
        waitUntil(() -> instancesIn("hello", TWO, "ready") == 1 && sparesOf(TWO) == 1);

        traffic(TrafficTarget.to(TWO, 100));
        waitUntil(() -> createdFor(ONE) > 0 && runtime.containers.values().stream().noneMatch(c ->
                ONE.equals(c.spec.labels().get(ContainerLabels.REVISION))));
        assertThat(manager.instances("hello")).extracting(InstanceInfo::revision).containsExactly(TWO);
        assertThat(sparesOf(TWO)).isEqualTo(1);
    }

    @Test
    void aTagOnlyRevisionColdStartsThroughItsTagAndScalesToZero() throws Exception {
        manager.start().get(30, TimeUnit.SECONDS);
        twoRevisions(b -> b.minInstances(1).idleTimeoutSeconds(60));
        traffic(TrafficTarget.to(ONE, 100), TrafficTarget.to(TWO, 0).withTag("canary"));
        waitUntil(() -> instancesIn("hello", ONE, "ready") == 1);

        InstanceLease preview = leaseAt("canary--hello.localhost");

        assertThat(versionOf(preview)).isEqualTo("2");
        assertThat(preview.coldStartWaitMillis()).as("it was cold").isNotNegative();
        assertThat(instanceOf(preview).revision()).isEqualTo(TWO);
        assertThat(sparesOf(TWO)).isZero();
        preview.release();
        clock.advanceMillis(61_000);
        tick();
        waitUntil(() -> manager.instances("hello").stream().noneMatch(i -> i.revision().equals(TWO)));
        assertThat(instancesIn("hello", ONE, "ready")).as("min_instances of the revision with traffic")
                .isEqualTo(1);
    }

    @Test
    void aTagsRequestFollowsItsTagAndFailsNotFoundOnceTheTagIsGone() throws Exception {
        twoRevisions(b -> b.concurrency(1).maxInstances(1));
        traffic(TrafficTarget.to(ONE, 100), TrafficTarget.to(TWO, 0).withTag("canary"));
        Route canary = route("canary--hello.localhost");
        Revision tagged = canary.revision(null);
        InstanceLease held = leaseAt("canary--hello.localhost");
        Future<InstanceLease> waiting = acquireAt("canary--hello.localhost");
        assertThat(waiting.isDone()).isFalse();

        traffic(TrafficTarget.to(ONE, 100).withTag("canary"));

        InstanceLease followed = await(waiting);
        leases.add(followed);
        assertThat(versionOf(followed)).as("the tag points at %s now", ONE).isEqualTo("1");
        assertThat(versionOf(held)).isEqualTo("2");
        traffic(TrafficTarget.to(ONE, 100));
        AcquireFailure gone = failureOf(manager.acquire(canary, tagged, group.next()));
        assertThat(gone.reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND);
        assertThat(gone.getMessage()).contains("hello", "canary");
    }

    @Test
    void aWaitingRequestThroughATagThatGoesFailsNotFound() throws Exception {
        twoRevisions(b -> b.concurrency(1).maxInstances(1));
        traffic(TrafficTarget.to(ONE, 100), TrafficTarget.to(TWO, 0).withTag("canary"));
        leaseAt("canary--hello.localhost");
        Future<InstanceLease> waiting = acquireAt("canary--hello.localhost");

        traffic(TrafficTarget.to(ONE, 100));

        assertThat(failureOf(waiting).reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND);
    }

    @Test
    void scalingChangesInPlaceForTheInstancesOfEveryRevision() throws Exception {
        twoRevisions(b -> b.concurrency(1).maxInstances(1));
        traffic(TrafficTarget.to(ONE, 50).withTag("a"), TrafficTarget.to(TWO, 50).withTag("b"));
        InstanceLease a = leaseAt("a--hello.localhost");
        InstanceLease b = leaseAt("b--hello.localhost");
        Future<InstanceLease> queuedOnA = acquireAt("a--hello.localhost");
        Future<InstanceLease> queuedOnB = acquireAt("b--hello.localhost");
        assertThat(queuedOnA.isDone() || queuedOnB.isDone()).isFalse();

        services.update(service("hello").env(Map.of("V", "2")).concurrency(1).maxInstances(2).build());

        assertThat(services.service("hello").revisions()).as("no new revision").hasSize(2);
        InstanceLease secondOfA = await(queuedOnA);
        InstanceLease secondOfB = await(queuedOnB);
        leases.add(secondOfA);
        leases.add(secondOfB);
        assertThat(versionOf(secondOfA)).isEqualTo("1");
        assertThat(versionOf(secondOfB)).isEqualTo("2");
        assertThat(secondOfA.instanceId()).isNotEqualTo(a.instanceId());
        assertThat(secondOfB.instanceId()).isNotEqualTo(b.instanceId());
        assertThat(a.retired().toCompletableFuture()).isNotDone();
    }

    @Test
    void aDeletedRevisionsContainersDrainAndGoWithTheirPorts() throws Exception {
        twoRevisions(b -> b);
        InstanceLease old = leaseAt(HOST);
        traffic(TrafficTarget.to(TWO, 100));
        leaseAt(HOST);

        services.deleteRevision("hello", ONE);

        assertThat(manager.instances("hello")).extracting(InstanceInfo::revision).containsExactly(TWO);
        assertThat(meters.find("cless.instances").tag("revision", ONE).gauges()).as("its series go").isEmpty();
        assertThat(runtime.containers).as("drains first").hasSize(2);
        int port = old.address().getPort();
        old.release();
        waitUntil(() -> runtime.containers.size() == 1 && !ports.held.contains(port));
        assertThat(versionOf(leaseAt(HOST))).isEqualTo("2");
    }

    @Test
    void aDeletedServiceTakesTheContainersOfEveryRevision() throws Exception {
        twoRevisions(b -> b);
        traffic(TrafficTarget.to(ONE, 50).withTag("a"), TrafficTarget.to(TWO, 50).withTag("b"));
        InstanceLease a = leaseAt("a--hello.localhost");
        InstanceLease b = leaseAt("b--hello.localhost");
        Route tagged = route("b--hello.localhost");

        deleted(service("hello").build());

        assertThat(a.retired()).isDone();
        assertThat(b.retired()).isDone();
        assertThat(manager.instances("hello")).isEmpty();
        assertThat(failureOf(manager.acquire(tagged, tagged.revision(null), group.next())).reason())
                .isEqualTo(AcquireFailure.Reason.NOT_FOUND);
        a.release();
        b.release();
        waitUntil(() -> runtime.containers.isEmpty() && ports.held.isEmpty());
        assertThat(meters.find("cless.instances").tag("service", "hello").gauges()).isEmpty();
    }

    @Test
    void aRollbackServesTheOldRevisionAgainFromAPoolOfItsOwnWhileItsOldInstanceDrains() throws Exception {
        twoRevisions(b -> b);
        InstanceLease first = leaseAt(HOST);
        traffic(TrafficTarget.to(TWO, 100));
        leaseAt(HOST);

        traffic(TrafficTarget.to(ONE, 100));

        InstanceLease back = leaseAt(HOST);
        assertThat(versionOf(back)).isEqualTo("1");
        assertThat(back.instanceId()).as("the draining one takes no new request").isNotEqualTo(first.instanceId());
        assertThat(instancesIn("hello", ONE, "draining")).isEqualTo(1);
        assertThat(instancesIn("hello", ONE, "ready")).isEqualTo(1);
        assertThat(instancesIn("hello", TWO, "draining")).isEqualTo(1);
        first.release();
        waitUntil(() -> instancesIn("hello", ONE, "draining") == 0);
        assertThat(leaseAt(HOST).instanceId()).isEqualTo(back.instanceId());
    }

    @Test
    void aSplitBetweenAContainerAndAnUpstreamServesEachAndRetiresTheUpstreamWhenItLosesItsShare()
            throws Exception {
        registered(service("hello").env(Map.of("V", "1")).traffic(List.of(TrafficTarget.to(ONE, 100))).build());
        services.update(ServiceDefinition.builder("hello").upstream("127.0.0.1:9001").host(HOST).build());
        traffic(TrafficTarget.to(ONE, 50).withTag("box"), TrafficTarget.to(TWO, 50).withTag("fixed"));

        InstanceLease upstream = leaseAt("fixed--hello.localhost");
        InstanceLease container = leaseAt("box--hello.localhost");

        assertThat(upstream.address().getPort()).isEqualTo(9001);
        assertThat(upstream.revision()).isEqualTo(TWO);
        assertThat(versionOf(container)).isEqualTo("1");
        assertThat(container.revision()).isEqualTo(ONE);
        traffic(TrafficTarget.to(ONE, 100));
        assertThat(upstream.retired()).isDone();
        assertThat(container.retired()).isNotDone();
    }
}
