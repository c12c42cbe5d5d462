package cloud.cless.core.runtime;

/** A container operation failed; {@link #kind()} says whether the engine, the image or the container is at fault. */
public class RuntimeFailure extends RuntimeException {

    /** Why an operation failed, as far as a caller needs to react differently. */
    public enum Kind {
        /** The engine could not be reached or did not answer in time. */
        ENGINE_UNAVAILABLE,
        /** The image is not present and could not be pulled. */
        IMAGE_NOT_FOUND,
        /** The container's host port is held by something else: another container got it first. */
        PORT_TAKEN,
        /** The engine answered, but refused or failed the operation. */
        CONTAINER_FAILED
    }

    private final Kind kind;

    public RuntimeFailure(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** True when {@code error} (unwrapped) is a failure of this kind. */
    public static boolean is(Throwable error, Kind kind) {
        return error instanceof RuntimeFailure failure && failure.kind == kind;
    }
}
