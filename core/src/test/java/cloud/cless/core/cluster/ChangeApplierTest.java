package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.store.StoreUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChangeApplierTest {
    private static final Duration SOON = Duration.ofSeconds(10);
    private static final Backoff QUICK = new Backoff(Duration.ofMillis(10), Duration.ofMillis(50));

    private final List<String> applied = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile boolean holdFirst;
    private ChangeApplier applier;

    @AfterEach
    void close() {
        release.countDown();
        if (applier != null) {
            applier.close();
        }
    }

    private final ChangeApplier.Target target = new ChangeApplier.Target() {
        @Override
        public void reloadAll() throws Exception {
            hold();
            if (failuresLeft.getAndDecrement() > 0) {
                applied.add("failed reload");
                throw new StoreUnavailableException("the store is down", null);
            }
            applied.add("all");
        }

        @Override
        public void reload(Change change) throws Exception {
            hold();
            if (failuresLeft.getAndDecrement() > 0) {
                applied.add("failed " + change.id());
                throw new StoreUnavailableException("the store is down", null);
            }
            applied.add(change.id() + "@" + change.sequence());
        }
    };

    private void hold() throws InterruptedException {
        if (holdFirst) {
            holdFirst = false;
            release.await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void changesThatPileUpWhileOneIsAppliedAreAppliedOnceEachInOrder() {
        applier = new ChangeApplier(target, QUICK);
        holdFirst = true;
        applier.changed(change("a", 1));
        Poll.until(SOON, "the first apply is under way", () -> !holdFirst);
        applier.changed(change("b", 2));
        applier.changed(change("c", 3));
        applier.changed(change("b", 4));
        applier.changed(change("b", 3));
        release.countDown();
        Poll.until(SOON, "all applied", () -> applied.size() == 3);
        assertThat(applied).containsExactly("a@1", "b@4", "c@3");
    }

    @Test
    void aReloadOfEverythingSupersedesTheChangesBeforeIt() {
        applier = new ChangeApplier(target, QUICK);
        holdFirst = true;
        applier.changed(change("a", 1));
        Poll.until(SOON, "the first apply is under way", () -> !holdFirst);
        applier.changed(change("b", 2));
        applier.reloadAll();
        // Committed before the reload reads the store: the reload sees it.
        applier.changed(change("c", 3));
        release.countDown();
        Poll.until(SOON, "the reload", () -> applied.contains("all"));
        applier.changed(change("d", 4));
        Poll.until(SOON, "a later change", () -> applied.contains("d@4"));
        assertThat(applied).containsExactly("a@1", "all", "d@4");
    }

    @Test
    void aFailedApplyBecomesAReloadOfEverythingRetriedUntilItWorks() {
        applier = new ChangeApplier(target, QUICK);
        failuresLeft.set(3);
        applier.changed(change("a", 1));
        Poll.until(SOON, "a reload succeeds", () -> applied.contains("all"));
        assertThat(applied).containsExactly("failed a", "failed reload", "failed reload", "all");
        applier.changed(change("b", 2));
        Poll.until(SOON, "later changes apply as usual", () -> applied.contains("b@2"));
    }

    private static Change change(String id, long sequence) {
        return new Change(Change.SERVICE, id, sequence);
    }
}
