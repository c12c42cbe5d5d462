package cloud.cless.core.service;

/** A revision cannot be deleted: it is the latest, or the traffic names it (a percent or a tag). */
public class RevisionInUseException extends RuntimeException {
    public RevisionInUseException(String message) {
        super(message);
    }
}
