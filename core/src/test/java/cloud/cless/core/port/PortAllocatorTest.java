package cloud.cless.core.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {

    /** A random range in 30000-39999 whose ports are all free now, so parallel runs do not collide. */
    private static PortRange freeRange(int size) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(30000, 40000 - size);
            PortRange range = new PortRange(first, first + size - 1);
            boolean allFree = true;
            for (int port = range.first(); port <= range.last() && allFree; port++) {
                allFree = PortAllocator.canBindLoopback(port);
            }
            if (allFree) {
                return range;
            }
        }
        throw new IllegalStateException("no free range of " + size + " ports in 30000-39999");
    }

    @Test
    void allocatesWithinTheRangeWithoutDuplicates() {
        PortRange range = freeRange(20);
        PortAllocator allocator = new PortAllocator(range);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < range.size(); i++) {
            int port = allocator.allocate();
            assertThat(range.contains(port)).isTrue();
            assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
        }
        assertThat(allocator.usedCount()).isEqualTo(range.size());
    }

    @Test
    void exhaustionIsAClearError() {
        PortRange range = freeRange(3);
        PortAllocator allocator = new PortAllocator(range);
        allocator.allocate();
        allocator.allocate();
        allocator.allocate();
        assertThatThrownBy(allocator::allocate)
                .isInstanceOfSatisfying(PortsExhaustedException.class, e -> assertThat(e.range()).isEqualTo(range))
                .hasMessageContaining(range.toString())
                .hasMessageContaining("3 handed out");
    }

    @Test
    void aReleasedPortIsHandedOutAgain() {
        PortRange range = freeRange(3);
        PortAllocator allocator = new PortAllocator(range);
        allocator.allocate();
        int middle = allocator.allocate();
        allocator.allocate();
        allocator.release(middle);
        assertThat(allocator.isUsed(middle)).isFalse();
        assertThat(allocator.allocate()).isEqualTo(middle);
    }

    @Test
    void aJustReleasedPortIsNotReusedAtOnce() {
        PortRange range = freeRange(5);
        PortAllocator allocator = new PortAllocator(range);
        int first = allocator.allocate();
        allocator.release(first);
        List<Integer> next = new ArrayList<>();
        for (int i = 0; i < range.size(); i++) {
            next.add(allocator.allocate());
        }
        assertThat(next).doesNotHaveDuplicates().endsWith(first);
        assertThat(next.subList(0, range.size() - 1)).doesNotContain(first);
    }

    @Test
    void markedPortsAreNotHandedOutUntilReleased() {
        PortRange range = freeRange(3);
        PortAllocator allocator = new PortAllocator(range);
        int adopted = range.first() + 1;
        allocator.markUsed(adopted);
        allocator.markUsed(adopted);
        assertThat(allocator.isUsed(adopted)).isTrue();
        assertThat(List.of(allocator.allocate(), allocator.allocate())).doesNotContain(adopted);
        assertThatThrownBy(allocator::allocate).isInstanceOf(PortsExhaustedException.class);
        allocator.release(adopted);
        assertThat(allocator.allocate()).isEqualTo(adopted);
    }

    @Test
    void releasingAPortNotHandedOutDoesNothing() {
        PortRange range = freeRange(2);
        PortAllocator allocator = new PortAllocator(range);
        allocator.release(range.first());
        allocator.release(1);
        assertThat(allocator.usedCount()).isZero();
        assertThat(allocator.allocate()).isEqualTo(range.first());
    }

    @Test
    void aPortHeldByAnotherSocketIsSkipped() throws IOException {
        PortRange range = freeRange(3);
        int held = range.first() + 1;
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), held));
            PortAllocator allocator = new PortAllocator(range);
            assertThat(List.of(allocator.allocate(), allocator.allocate()))
                    .containsExactlyInAnyOrder(range.first(), range.last());
            assertThatThrownBy(allocator::allocate).isInstanceOf(PortsExhaustedException.class)
                    .hasMessageContaining("2 handed out");
            assertThat(allocator.isUsed(held)).isFalse();
        }
    }

    @Test
    void aPortHeldOnTheWildcardAddressIsSkipped() throws IOException {
        PortRange range = freeRange(2);
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(range.first()));
            PortAllocator allocator = new PortAllocator(range);
            assertThat(allocator.allocate()).isEqualTo(range.last());
        }
    }

    @Test
    void concurrentCallersNeverShareAPort() throws Exception {
        PortRange range = freeRange(64);
        PortAllocator allocator = new PortAllocator(range);
        ConcurrentLinkedQueue<Integer> handedOut = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int t = 0; t < 8; t++) {
                pool.execute(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 8; i++) {
                            handedOut.add(allocator.allocate());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            start.countDown();
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(handedOut).hasSize(64).doesNotHaveDuplicates().allMatch(range::contains);
    }

    @Test
    void theFreeCheckIsAskedForEveryCandidate() {
        PortRange range = new PortRange(31000, 31004);
        Set<Integer> busy = Set.of(31000, 31002);
        PortAllocator allocator = new PortAllocator(range, port -> !busy.contains(port));
        assertThat(List.of(allocator.allocate(), allocator.allocate(), allocator.allocate()))
                .containsExactly(31001, 31003, 31004);
        assertThatThrownBy(allocator::allocate).isInstanceOf(PortsExhaustedException.class);
    }

    @Test
    void portsTheEngineHoldsAreNotHandedOut() {
        PortAllocator allocator = new PortAllocator(new PortRange(31_000, 31_003), port -> true);

        allocator.engineHolds(Set.of(31_000, 31_002));

        assertThat(List.of(allocator.allocate(), allocator.allocate())).containsExactly(31_001, 31_003);
        assertThatThrownBy(allocator::allocate).isInstanceOf(PortsExhaustedException.class);
    }

    @Test
    void aConflictedPortStaysOutUntilAListingNoLongerHasIt() {
        PortAllocator allocator = new PortAllocator(new PortRange(31_000, 31_001), port -> true);
        allocator.engineHolds(Set.of(31_000));
        int mine = allocator.allocate();
        assertThat(mine).isEqualTo(31_001);

        allocator.conflicted(mine);
        allocator.release(mine); // its container is gone, but the engine said someone else holds the port
        allocator.engineHolds(Set.of(31_000, 31_001));
        assertThatThrownBy(allocator::allocate).isInstanceOf(PortsExhaustedException.class);

        allocator.engineHolds(Set.of(31_000));
        assertThat(allocator.allocate()).isEqualTo(31_001);
    }
}
