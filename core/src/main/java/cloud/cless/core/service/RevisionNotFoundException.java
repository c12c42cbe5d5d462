package cloud.cless.core.service;

/** The service has no revision of that name. */
public class RevisionNotFoundException extends RuntimeException {
    public RevisionNotFoundException(String service, String revision) {
        super("service '" + service + "' has no revision '" + revision + "'");
    }
}
