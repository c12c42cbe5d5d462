package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hosts to routes: a service's own host splits by its traffic, a tag's host reaches its revision. */
class HostIndexTest {
    private final HostIndex index = new HostIndex();

    private static RegisteredService withTraffic(RegisteredService service, TrafficTarget... traffic) {
        return new RegisteredService(service.definition().toBuilder().traffic(List.of(traffic)).build(),
                service.revisions(), service.lastServed());
    }

    @Test
    void aTagsHostReachesItsRevisionWhateverThePercents() {
        RegisteredService hello = Revisions.helloWithRevisions(2, List.of(TrafficTarget.to("hello-00001", 100),
                TrafficTarget.latest(0).withTag("canary"), TrafficTarget.to("hello-00001", 0).withTag("stable")));
        index.put(hello);

        Route canary = index.route("canary--hello.localhost");
        assertThat(canary.tagged()).isTrue();
        assertThat(canary.tag()).isEqualTo("canary");
        assertThat(canary.service()).isEqualTo(hello.definition());
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100; i++) {
            assertThat(canary.revision(random).name()).isEqualTo("hello-00002");
        }
        assertThat(index.route("stable--hello.localhost").revision(random).name()).isEqualTo("hello-00001");

        Route own = index.route("hello.localhost");
        assertThat(own.tagged()).isFalse();
        assertThat(own.tag()).isNull();
        assertThat(own.revision(random).name()).isEqualTo("hello-00001");
    }

    @Test
    void theServicesOwnHostIsSplitByItsTraffic() {
        index.put(Revisions.helloWithRevisions(2, List.of(TrafficTarget.to("hello-00001", 50),
                TrafficTarget.latest(50))));
        Route route = index.route("hello.localhost");
        SplittableRandom random = new SplittableRandom(7);
        int second = 0;
        for (int i = 0; i < 1_000; i++) {
            if (route.revision(random).name().equals("hello-00002")) {
                second++;
            }
        }
        assertThat(second).isBetween(440, 560);
    }

    @Test
    void byHostFindsOwnHostsOnly() {
        RegisteredService hello = Revisions.helloWithRevisions(1, List.of(TrafficTarget.latest(100).withTag("t")));
        index.put(hello);
        assertThat(index.byHost("hello.localhost")).isEqualTo(hello.definition());
        assertThat(index.byHost("t--hello.localhost")).isNull();
        assertThat(index.route("t--hello.localhost")).isNotNull();
        assertThat(index.route("hello")).isNull();
        assertThat(index.route("x--hello.localhost")).isNull();
        assertThat(index.route("t--hello.localhost").service().name()).isEqualTo("hello");
    }

    @Test
    void aHostTakenByAnotherServiceBeforeItsOwnerGaveItUpStaysWithTheNewOwner() {
        // Changes seen in a shared store may arrive in another order than they were made.
        RegisteredService hello = Revisions.helloWithRevisions(1, List.of(TrafficTarget.latest(100).withTag("t")));
        index.put(hello);
        RegisteredService other = new RegisteredService(hello.definition().toBuilder().name("other")
                .traffic(TrafficTarget.DEFAULT).build(), List.of(Revisions.revision(hello.definition().toBuilder()
                .name("other").build(), 1)), java.util.Map.of());
        index.put(other);
        index.put(new RegisteredService(hello.definition().toBuilder().host("moved.localhost")
                .traffic(TrafficTarget.DEFAULT).build(), hello.revisions(), hello.lastServed()));
        assertThat(index.route("hello.localhost").service().name()).isEqualTo("other");
        assertThat(index.route("t--hello.localhost")).isNull();
        assertThat(index.route("moved.localhost").service().name()).isEqualTo("hello");

        index.remove(index.service("hello").orElseThrow());
        assertThat(index.route("hello.localhost").service().name()).isEqualTo("other");
    }

    @Test
    void aChangeMovesTheHostsAndDropsTheOnesThatWent() {
        RegisteredService hello = Revisions.helloWithRevisions(2, List.of(TrafficTarget.latest(100).withTag("a"),
                TrafficTarget.to("hello-00001", 0).withTag("b")));
        index.put(hello);
        RegisteredService moved = new RegisteredService(hello.definition().toBuilder().host("hi.example.com")
                .traffic(List.of(TrafficTarget.latest(100).withTag("a"), TrafficTarget.to("hello-00001", 0)
                        .withTag("c"))).build(), hello.revisions(), hello.lastServed());
        index.put(moved);
        assertThat(index.route("hello.localhost")).isNull();
        assertThat(index.route("a--hello.localhost")).isNull();
        assertThat(index.route("b--hello.localhost")).isNull();
        assertThat(index.route("hi.example.com").service()).isEqualTo(moved.definition());
        assertThat(index.route("a--hi.example.com").fixed().name()).isEqualTo("hello-00002");
        assertThat(index.route("c--hi.example.com").fixed().name()).isEqualTo("hello-00001");

        index.put(withTraffic(moved, TrafficTarget.latest(100)));
        assertThat(index.route("a--hi.example.com")).isNull();
        assertThat(index.route("c--hi.example.com")).isNull();
        assertThat(index.route("hi.example.com")).isNotNull();

        index.remove(index.service("hello").orElseThrow());
        assertThat(index.route("hi.example.com")).isNull();
        assertThat(index.service("hello")).isEmpty();
        assertThat(index.all()).isEmpty();
    }

    @Test
    void aLatestTagFollowsEachNewRevision() {
        index.put(Revisions.helloWithRevisions(1, List.of(TrafficTarget.latest(100).withTag("next"))));
        assertThat(index.route("next--hello.localhost").fixed().name()).isEqualTo("hello-00001");
        index.put(Revisions.helloWithRevisions(2, List.of(TrafficTarget.latest(100).withTag("next"))));
        assertThat(index.route("next--hello.localhost").fixed().name()).isEqualTo("hello-00002");
    }

    @Test
    void aServiceWithoutADotInItsHostGetsTagHostsToo() {
        RegisteredService bare = new RegisteredService(Revisions.hello("v1").toBuilder().host("hello")
                .traffic(List.of(TrafficTarget.latest(100).withTag("t"))).build(),
                List.of(Revisions.revision(Revisions.hello("v1"), 1)), java.util.Map.of());
        index.put(bare);
        assertThat(index.route("t--hello").tag()).isEqualTo("t");
        assertThat(TagHost.of("canary", "hello.localhost")).isEqualTo("canary--hello.localhost");
    }
}
