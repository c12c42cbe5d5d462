package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** New connections to an instance are paced per event loop: a bounded number opened and not yet answered. */
class UpstreamPacingTest {
    private static final int LIMIT = UpstreamPool.OPENING_PER_INSTANCE;
    private static final Duration GRACE = Duration.ofMillis(100);

    private final EmbeddedChannel loopOwner = new EmbeddedChannel();
    private final CompletableFuture<Void> retired = new CompletableFuture<>();
    private final TestLease lease = new TestLease(new InetSocketAddress("127.0.0.1", 9001), "i1", "hello-00001",
            retired, -1);
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private UpstreamPool pool;

    @BeforeEach
    void setUp() {
        loopOwner.freezeTime();
        pool = new UpstreamPool((EventLoop) loopOwner.eventLoop(), Duration.ofMinutes(1), 4, GRACE);
    }

    @AfterEach
    void tearDown() {
        pool.close();
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        loopOwner.finishAndReleaseAll();
    }

    @Test
    void noMoreThanTheLimitAreOpenedAtOnceAndTheRestWaitInArrivalOrder() {
        UpstreamPool.Slot slot = pool.slot(lease);
        for (int i = 0; i < LIMIT; i++) {
            assertThat(slot.tryOpen()).isTrue();
        }
        assertThat(slot.tryOpen()).isFalse();
        Waiter first = new Waiter();
        Waiter second = new Waiter();
        slot.await(first);
        slot.await(second);

        slot.openingEnded();

        assertThat(first.mayOpen).isEqualTo(1);
        assertThat(second.mayOpen).isZero();
        assertThat(slot.opening()).isEqualTo(LIMIT); // the first waiter's connection now counts
        assertThat(slot.waiting()).isEqualTo(1);
    }

    @Test
    void aNewConnectionCountsUntilTheAppAnswersOnIt() {
        UpstreamPool.Slot slot = filled();
        Waiter waiter = new Waiter();
        slot.await(waiter);
        EmbeddedChannel answered = connectionIn(slot);
        UpstreamConnection connection = (UpstreamConnection) answered.pipeline().first();
        connection.attach(new DiscardingUser());

        answered.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\n", StandardCharsets.US_ASCII));
        answered.writeInbound(Unpooled.copiedBuffer("\r\n", StandardCharsets.US_ASCII));

        assertThat(waiter.mayOpen).as("one answer lets one more open, once").isEqualTo(1);
    }

    @Test
    void aConnectionWithoutAnAnswerStopsCountingAfterTheGrace() {
        UpstreamPool.Slot slot = filled();
        Waiter waiter = new Waiter();
        slot.await(waiter);
        EmbeddedChannel silent = connectionIn(slot);

        silent.advanceTimeBy(GRACE.toMillis() - 1, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertThat(waiter.mayOpen).isZero();

        silent.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertThat(waiter.mayOpen).isEqualTo(1);
    }

    @Test
    void aConnectionThatClosesBeforeAnsweringStopsCounting() {
        UpstreamPool.Slot slot = filled();
        Waiter waiter = new Waiter();
        slot.await(waiter);
        EmbeddedChannel refused = connectionIn(slot);
        ((UpstreamConnection) refused.pipeline().first()).attach(new DiscardingUser());

        refused.close();

        assertThat(waiter.mayOpen).isEqualTo(1);
    }

    @Test
    void aConnectionComingBackIdleGoesToTheFirstWaiter() {
        UpstreamPool.Slot slot = filled();
        Waiter waiter = new Waiter();
        slot.await(waiter);
        EmbeddedChannel channel = connectionIn(slot);
        UpstreamConnection connection = (UpstreamConnection) channel.pipeline().first();

        connection.release(true, System.nanoTime());
        loopOwner.runPendingTasks();

        assertThat(waiter.handed).containsExactly(connection);
        assertThat(pool.take(lease)).as("handed over, not pooled").isNull();
    }

    @Test
    void aWaiterThatLeavesIsNotWoken() {
        UpstreamPool.Slot slot = filled();
        Waiter waiter = new Waiter();
        slot.await(waiter);

        slot.leave(waiter);
        slot.openingEnded();

        assertThat(waiter.mayOpen).isZero();
        assertThat(slot.opening()).isEqualTo(LIMIT - 1);
    }

    @Test
    void waitersOfARetiredInstanceAllOpenAtOnce() {
        UpstreamPool.Slot slot = filled();
        Waiter first = new Waiter();
        Waiter second = new Waiter();
        slot.await(first);
        slot.await(second);

        retired.complete(null);
        loopOwner.runPendingTasks();

        assertThat(first.mayOpen).isEqualTo(1);
        assertThat(second.mayOpen).isEqualTo(1);
        assertThat(slot.tryOpen()).as("a retired instance is not paced").isTrue();
    }

    @Test
    void theOneRetryOfARequestIsNotHeldBack() {
        UpstreamPool.Slot slot = filled();

        slot.forceOpen();

        assertThat(slot.opening()).isEqualTo(LIMIT + 1);
    }

    private UpstreamPool.Slot filled() {
        UpstreamPool.Slot slot = pool.slot(lease);
        while (slot.tryOpen()) {
            assertThat(slot.opening()).isLessThanOrEqualTo(LIMIT);
        }
        return slot;
    }

    /** A connection that had leave to open (the slot already counts it), now connected; its clock is frozen. */
    private EmbeddedChannel connectionIn(UpstreamPool.Slot slot) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new UpstreamConnection(channel, slot));
        channels.add(channel);
        return channel;
    }

    private static final class Waiter implements UpstreamPool.Waiter {
        final List<UpstreamConnection> handed = new ArrayList<>();
        int mayOpen;

        @Override
        public void handed(UpstreamConnection connection) {
            handed.add(connection);
        }

        @Override
        public void mayOpen() {
            mayOpen++;
        }
    }

    private static final class DiscardingUser implements UpstreamConnection.User {
        @Override
        public void upstreamRead(io.netty.buffer.ByteBuf bytes) {
            bytes.release();
        }

        @Override
        public void upstreamReadComplete() {
        }

        @Override
        public void upstreamWritable() {
        }

        @Override
        public void upstreamInputEnded() {
        }

        @Override
        public void upstreamClosed(Throwable cause) {
        }
    }
}
