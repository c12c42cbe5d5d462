package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.DockerFailures;
import cloud.cless.core.runtime.RuntimeFailure;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the blocking calls to a Swarm manager on the caller's executor, each bounded by the call deadline, and says
 * what went wrong in a {@link RuntimeFailure}: the manager unreachable, not answering in time or unable to serve
 * (503: not a manager, no leader) is {@code ENGINE_UNAVAILABLE}; a service that is not there is a
 * {@link SwarmServiceMissingException}; any other refusal is {@code CONTAINER_FAILED}.
 */
final class SwarmCalls {
    private final String dockerHost;
    private final ExecutorService executor;
    private final Duration timeout;
    private final DockerFailures failures;

    SwarmCalls(String dockerHost, ExecutorService executor, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the call timeout must be positive: " + timeout);
        }
        this.dockerHost = dockerHost;
        this.executor = executor;
        this.timeout = timeout;
        this.failures = new DockerFailures(dockerHost);
    }

    /** When a call that starts now must be done. */
    long deadlineNanos() {
        return System.nanoTime() + timeout.toNanos();
    }

    /**
     * Runs {@code action} on the executor; the future completes there, or on the JDK's timer thread when the
     * deadline passes first (a call still waiting for a thread is then dropped). {@code serviceName}, when given,
     * turns the manager's 404 into a {@link SwarmServiceMissingException} naming that service.
     */
    <T> CompletableFuture<T> call(String operation, String serviceName, Callable<T> action) {
        CompletableFuture<T> work = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (work.isDone()) {
                    return; // its deadline passed while it waited for a thread
                }
                try {
                    work.complete(action.call());
                } catch (Exception e) {
                    work.completeExceptionally(translate(e, operation, serviceName));
                } catch (Error e) {
                    work.completeExceptionally(e);
                    throw e;
                }
            });
        } catch (RejectedExecutionException e) {
            work.completeExceptionally(new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                    operation + " was refused: the Swarm executor is shut down or full", e));
            return work;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        work.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else if (unwrap(failure) instanceof TimeoutException) {
                result.completeExceptionally(new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                        "the Swarm manager at " + dockerHost + " did not finish the " + operation + " within "
                                + timeout.toMillis() + " ms", null));
            } else {
                result.completeExceptionally(unwrap(failure));
            }
        });
        return result;
    }

    private RuntimeFailure translate(Exception failure, String operation, String serviceName) {
        if (failure instanceof NotFoundException && serviceName != null) {
            return new SwarmServiceMissingException(serviceName, operation + " failed: swarm service " + serviceName
                    + " does not exist", failure);
        }
        if (failure instanceof DockerException answer && answer.getHttpStatus() == 503) {
            // Not a manager, or a swarm without a leader: the engine answers, but no swarm can be had from it now.
            return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE, "the Swarm manager at " + dockerHost
                    + " cannot serve the " + operation + ": " + DockerFailures.engineMessage(answer), failure);
        }
        if (failure instanceof IllegalArgumentException || failure instanceof IllegalStateException) {
            return new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED, operation + " failed: "
                    + failure.getMessage(), failure);
        }
        return failures.translate(failure, operation);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while (current instanceof CompletionException && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
