package cloud.cless.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import cloud.cless.core.runtime.RuntimeFailure;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for a runtime call's future in a test: its value, or the {@link RuntimeFailure} it failed with. */
public final class Futures {
    private static final long TIMEOUT_SECONDS = 90;

    private Futures() {
    }

    /** The future's value; an AssertionError carrying the cause when it failed or did not complete in time. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("runtime call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** The RuntimeFailure the future failed with; fails the test when it succeeded or failed otherwise. */
    public static RuntimeFailure failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(RuntimeFailure.class);
        return (RuntimeFailure) thrown.getCause();
    }
}
