package cloud.cless.core.runtime;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs blocking engine calls on an executor, each with a deadline that counts from the moment it is asked for
 * (time queued for a thread included): a call still unanswered then fails as
 * {@link RuntimeFailure.Kind#ENGINE_UNAVAILABLE}, whatever its thread is still waiting for.
 */
final class EngineCalls {
    private final DockerFailures failures;

    EngineCalls(DockerFailures failures) {
        this.failures = failures;
    }

    /** Runs {@code action} on {@code executor}; every failure completes the future with a RuntimeFailure. */
    <T> CompletableFuture<T> call(Executor executor, Duration deadline, String operation, Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (result.isDone()) {
                    return; // its deadline passed while it was queued
                }
                try {
                    result.complete(action.get());
                } catch (Exception e) {
                    result.completeExceptionally(failures.translate(e, operation));
                } catch (Error e) {
                    result.completeExceptionally(e);
                    throw e;
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                    operation + " was refused: the engine's executor is shut down or full", e));
            return result;
        }
        CompletableFuture<T> bounded = new CompletableFuture<>();
        result.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenComplete((value, error) -> {
            if (error == null) {
                bounded.complete(value);
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                bounded.completeExceptionally(cause instanceof TimeoutException
                        ? failures.timedOut(operation, Math.max(1, deadline.toSeconds())) : cause);
            }
        });
        return bounded;
    }

    CompletableFuture<Void> run(Executor executor, Duration deadline, String operation, Runnable action) {
        return call(executor, deadline, operation, () -> {
            action.run();
            return null;
        });
    }
}
