package cloud.cless.core.instance;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The requests waiting for room at {@code max_instances}, oldest first, bounded by {@code --queue-size}. Guarded
 * by the pool's lock, except {@link #isEmpty()}, which the lock-free paths read.
 */
final class WaitQueue {
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private final int capacity;
    private volatile int size;

    WaitQueue(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Requests waiting now; read without the lock. */
    int size() {
        return size;
    }

    /** Appends {@code waiter}; false when the queue is full. */
    boolean offer(Waiter waiter) {
        if (waiters.size() >= capacity) {
            return false;
        }
        waiters.addLast(waiter);
        size = waiters.size();
        return true;
    }

    /** Puts {@code waiting} back at the front, in their order (they waited already), even beyond the bound. */
    void putBack(List<Waiter> waiting, Effects fx) {
        for (int i = waiting.size() - 1; i >= 0; i--) {
            Waiter waiter = waiting.get(i);
            waiters.addFirst(waiter);
            waiter.queuedAtNanos = System.nanoTime();
            fx.queued.add(waiter);
        }
        size = waiters.size();
    }

    Waiter peek() {
        return waiters.peekFirst();
    }

    void pop() {
        waiters.pollFirst();
        size = waiters.size();
    }

    boolean remove(Waiter waiter) {
        boolean removed = waiters.remove(waiter);
        size = waiters.size();
        return removed;
    }

    boolean contains(Waiter waiter) {
        return waiters.contains(waiter);
    }

    /** Empties the queue and returns who was in it. */
    List<Waiter> clear() {
        List<Waiter> all = List.copyOf(waiters);
        waiters.clear();
        size = 0;
        return all;
    }
}
