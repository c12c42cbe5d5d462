package cloud.cless.proxy.cli;

/** A client subcommand could not get its answer from the admin API: the message says why, for the user. */
class AdminClientException extends RuntimeException {
    AdminClientException(String message) {
        super(message, null, false, false);
    }

    AdminClientException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** The lines printed on stderr for this failure. */
    String render() {
        return "error: " + getMessage();
    }
}
