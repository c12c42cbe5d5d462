package cloud.cless.core;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Thread pools for blocking work (engine calls, JDBC): a fixed number of daemon threads and a bounded queue. */
public final class BoundedExecutor {

    private BoundedExecutor() {
    }

    /**
     * A pool of {@code threads} daemon threads named {@code name-...} whose queue holds {@code queueCapacity} tasks;
     * beyond that, {@code execute} throws {@link java.util.concurrent.RejectedExecutionException}.
     */
    public static ThreadPoolExecutor newFixed(String name, int threads, int queueCapacity) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), new DefaultThreadFactory(name, true));
    }
}
