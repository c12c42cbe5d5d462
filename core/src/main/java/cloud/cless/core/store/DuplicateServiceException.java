package cloud.cless.core.store;

/** A definition's name or one of its hosts is already used by another service. */
public class DuplicateServiceException extends RuntimeException {
    private final String field;

    /** @param field which value is taken: {@code name}, {@code host}, or a traffic entry's tag */
    public DuplicateServiceException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** A service of that name exists already. */
    public static DuplicateServiceException name(String name) {
        return new DuplicateServiceException("name", "a service named '" + name + "' exists");
    }

    public String field() {
        return field;
    }
}
