package cloud.cless.core.runtime;

import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns what docker-java throws into a {@link RuntimeFailure} that says what failed, where, and whose fault it is. */
public final class DockerFailures {
    // The engine answers errors as {"message":"..."}; docker-java puts that body into the exception message.
    private static final Pattern ENGINE_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    // How the engine says a start failed because the host port is held (by its own allocator, or by the kernel).
    private static final Pattern PORT_TAKEN = Pattern.compile("port is already allocated|address already in use");

    private final String dockerHost;

    public DockerFailures(String dockerHost) {
        this.dockerHost = dockerHost;
    }

    /**
     * Classifies {@code failure}, thrown while doing {@code operation} (e.g. "start container abc"): an engine that
     * cannot be reached or does not answer is {@link RuntimeFailure.Kind#ENGINE_UNAVAILABLE}, anything the engine
     * answered with is {@link RuntimeFailure.Kind#CONTAINER_FAILED}.
     */
    public RuntimeFailure translate(Throwable failure, String operation) {
        Throwable cause = unwrap(failure);
        if (cause instanceof RuntimeFailure runtimeFailure) {
            return runtimeFailure;
        }
        DockerException answer = find(cause, DockerException.class);
        if (answer != null) {
            String message = engineMessage(answer);
            RuntimeFailure.Kind kind = PORT_TAKEN.matcher(message).find()
                    ? RuntimeFailure.Kind.PORT_TAKEN : RuntimeFailure.Kind.CONTAINER_FAILED;
            return new RuntimeFailure(kind, operation + " failed: " + message, cause);
        }
        if (isUnreachable(cause)) {
            return unreachable(cause, operation);
        }
        return new RuntimeFailure(RuntimeFailure.Kind.CONTAINER_FAILED,
                operation + " failed: " + describe(cause), cause);
    }

    /** True when the failure is about the connection to the engine, not about anything the engine said. */
    public boolean isUnreachable(Throwable failure) {
        Throwable cause = unwrap(failure);
        // The httpclient5 transport wraps every IOException (refused, reset, timed out) in a plain RuntimeException.
        return find(cause, DockerException.class) == null && find(cause, IOException.class) != null;
    }

    public RuntimeFailure unreachable(Throwable failure, String operation) {
        Throwable cause = unwrap(failure);
        IOException io = find(cause, IOException.class);
        return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                "Docker engine at " + dockerHost + " is unreachable: " + describe(io != null ? io : cause)
                        + " (during " + operation + ")",
                cause);
    }

    /** The engine did not answer {@code operation} within {@code seconds}: it is as good as unreachable. */
    RuntimeFailure timedOut(String operation, long seconds) {
        return new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE, "Docker engine at " + dockerHost
                + " did not answer within " + seconds + " s (during " + operation + ")", null);
    }

    /** The engine's own words for a failure, without the HTTP status wrapping docker-java adds. */
    public static String engineMessage(Throwable failure) {
        String message = failure.getMessage();
        if (message == null) {
            return failure.getClass().getSimpleName();
        }
        Matcher matcher = ENGINE_MESSAGE.matcher(message);
        if (matcher.find()) {
            return matcher.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return message.strip();
    }

    static String describe(Throwable failure) {
        if (failure instanceof DockerException || failure instanceof DockerClientException) {
            return engineMessage(failure);
        }
        String message = failure.getMessage();
        String type = failure.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : type + ": " + message.strip();
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        int depth = 0;
        for (Throwable current = failure; current != null && depth < 16; current = current.getCause(), depth++) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }
}
