package cloud.cless.core.store;

/** A definition's name or host is already used by another service. */
public class DuplicateServiceException extends RuntimeException {
    private final String field;

    /** @param field {@code name} or {@code host}: which value is taken */
    public DuplicateServiceException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
