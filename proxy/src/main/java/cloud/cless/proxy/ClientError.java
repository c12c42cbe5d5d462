package cloud.cless.proxy;

/** The statuses cless itself answers a client with (DESIGN, "Errors the client sees"). */
public enum ClientError {
    BAD_REQUEST(400, "Bad Request"),
    NOT_FOUND(404, "Not Found"),
    REQUEST_TIMEOUT(408, "Request Timeout"),
    CONTENT_TOO_LARGE(413, "Content Too Large"),
    HEADER_FIELDS_TOO_LARGE(431, "Request Header Fields Too Large"),
    NOT_IMPLEMENTED(501, "Not Implemented"),
    BAD_GATEWAY(502, "Bad Gateway"),
    SERVICE_UNAVAILABLE(503, "Service Unavailable"),
    GATEWAY_TIMEOUT(504, "Gateway Timeout");

    private final int status;
    private final String reasonPhrase;

    ClientError(int status, String reasonPhrase) {
        this.status = status;
        this.reasonPhrase = reasonPhrase;
    }

    public int status() {
        return status;
    }

    public String reasonPhrase() {
        return reasonPhrase;
    }

    /** Whether the client connection may carry on after this error, when the request was framed cleanly. */
    boolean keepsConnection() {
        return this == NOT_FOUND || this == SERVICE_UNAVAILABLE;
    }
}
