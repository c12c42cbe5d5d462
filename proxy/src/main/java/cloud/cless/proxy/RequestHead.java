package cloud.cless.proxy;

/**
 * The parts of a client's first request head that routing needs.
 *
 * @param method     request method, as sent
 * @param target     request target, as sent
 * @param version    protocol version
 * @param host       normalised host (lower case, no port, no trailing dot), or null when the request names none
 * @param headLength bytes from the start of the request line through the empty line that ends the head
 */
public record RequestHead(String method, String target, HttpVersion version, String host, int headLength) {

    /** The HTTP/1.x versions cless routes. */
    public enum HttpVersion {
        HTTP_1_0,
        /** HTTP/1.1 and any later 1.x minor version (RFC 9110 2.5: treat as the highest known). */
        HTTP_1_1
    }
}
