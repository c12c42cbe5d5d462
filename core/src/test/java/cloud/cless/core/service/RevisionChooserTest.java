package cloud.cless.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RevisionChooserTest {
    private static final Revision ONE = Revisions.revision(Revisions.hello("v1"), 1);
    private static final Revision TWO = Revisions.revision(Revisions.hello("v2"), 2);
    private static final Revision THREE = Revisions.revision(Revisions.hello("v3"), 3);

    private static RevisionChooser chooser(ResolvedTraffic.Share... shares) {
        return new RevisionChooser(List.of(shares));
    }

    /** A random source that answers {@code nextInt(bound)} with the given values in turn, and nothing else. */
    private static RandomGenerator draws(int... values) {
        return new RandomGenerator() {
            private int next;

            @Override
            public long nextLong() {
                throw new AssertionError("the chooser asks for nextInt(100) only");
            }

            @Override
            public int nextInt(int bound) {
                assertThat(bound).isEqualTo(100);
                return values[next++];
            }
        };
    }

    @Test
    void aNinetyTenSplitOverTwoThousandDrawsLandsWithinThreePointsOfTen() {
        RevisionChooser chooser = chooser(new ResolvedTraffic.Share(ONE, 90), new ResolvedTraffic.Share(TWO, 10));
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            int toTwo = 0;
            for (int i = 0; i < 2_000; i++) {
                if (chooser.choose(random) == TWO) {
                    toTwo++;
                }
            }
            assertThat(toTwo / 20.0).as("percent to the 10%% revision, seed %d", seed).isBetween(7.0, 13.0);
        }
    }

    @Test
    void everyRevisionGetsItsShareOfAThreeWaySplit() {
        RevisionChooser chooser = chooser(new ResolvedTraffic.Share(ONE, 50), new ResolvedTraffic.Share(TWO, 30),
                new ResolvedTraffic.Share(THREE, 20));
        SplittableRandom random = new SplittableRandom(42);
        Map<Revision, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(chooser.choose(random), 1, Integer::sum);
        }
        assertThat(counts.get(ONE) / 100.0).isBetween(48.0, 52.0);
        assertThat(counts.get(TWO) / 100.0).isBetween(28.0, 32.0);
        assertThat(counts.get(THREE) / 100.0).isBetween(18.0, 22.0);
    }

    @Test
    void drawsMapToRevisionsByCumulativePercent() {
        RevisionChooser chooser = chooser(new ResolvedTraffic.Share(ONE, 90), new ResolvedTraffic.Share(TWO, 9),
                new ResolvedTraffic.Share(THREE, 1));
        RandomGenerator random = draws(0, 89, 90, 98, 99);
        assertThat(chooser.choose(random)).isSameAs(ONE);
        assertThat(chooser.choose(random)).isSameAs(ONE);
        assertThat(chooser.choose(random)).isSameAs(TWO);
        assertThat(chooser.choose(random)).isSameAs(TWO);
        assertThat(chooser.choose(random)).isSameAs(THREE);
    }

    @Test
    void aSingleRevisionIsChosenWithoutADraw() {
        RevisionChooser chooser = chooser(new ResolvedTraffic.Share(TWO, 100));
        assertThat(chooser.choose(draws())).isSameAs(TWO);
    }

    @Test
    void aHostLookupAndAChoiceAllocateNothing() {
        HostIndex index = new HostIndex();
        index.put(Revisions.helloWithRevisions(2, List.of(TrafficTarget.to("hello-00001", 90),
                TrafficTarget.latest(10).withTag("canary"))));
        String own = new String("hello.localhost");
        String tagged = new String("canary--hello.localhost");
        SplittableRandom random = new SplittableRandom(3);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        int picked = 0;
        for (int i = 0; i < 1_000; i++) { // warm the calls up first
            picked += index.route(own).revision(random).number() + index.route(tagged).revision(random).number();
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            picked += index.route(own).revision(random).number() + index.route(tagged).revision(random).number();
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(picked).isPositive();
        // Anything allocated per call would come to megabytes over 200,000 lookups and choices.
        assertThat(allocated).as("bytes allocated by 200,000 lookups and choices").isLessThan(16_384);
    }

    @Test
    void sharesMustBePositiveAndAddUpToOneHundred() {
        assertThatThrownBy(() -> chooser()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> chooser(new ResolvedTraffic.Share(ONE, 90)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("90");
        assertThatThrownBy(() -> chooser(new ResolvedTraffic.Share(ONE, 100), new ResolvedTraffic.Share(TWO, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(TWO.name());
    }
}
