package cloud.cless.core.runtime;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PullResponseItem;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Follows the progress stream of one image pull and remembers how it ended. Unlike docker-java's own callbacks it
 * does not log the failure: the runtime reports it once, with the image's name, to its caller.
 */
final class PullCallback implements ResultCallback<PullResponseItem> {
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Closeable stream;
    private volatile Throwable failure;
    private volatile String errorMessage;

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
    }

    @Override
    public void onNext(PullResponseItem item) {
        // The engine reports a failed pull inside a 200 stream, as an item with an error.
        if (item.isErrorIndicated() && errorMessage == null) {
            errorMessage = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                    ? item.getErrorDetail().getMessage()
                    : item.getError();
        }
    }

    @Override
    public void onError(Throwable throwable) {
        failure = throwable;
        done.countDown();
    }

    @Override
    public void onComplete() {
        done.countDown();
    }

    /** Waits for the end of the pull; false when it did not end in time. */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return done.await(timeout, unit);
    }

    /** The exception that ended the stream, or null. */
    Throwable failure() {
        return failure;
    }

    /** The error the engine reported in the stream, or null. */
    String errorMessage() {
        return errorMessage;
    }

    @Override
    public void close() throws IOException {
        Closeable current = stream;
        if (current != null) {
            current.close();
        }
        done.countDown();
    }
}
