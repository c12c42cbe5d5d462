package cloud.cless.admin;

import io.netty.handler.codec.http.HttpVersion;

/**
 * Passed down the admin pipeline in place of a request whose body went over the limit, so that its 413 is
 * answered in order with the requests before it.
 *
 * @param version   the request's HTTP version
 * @param keepAlive whether the client wants the connection kept open
 * @param limit     the body limit in bytes
 */
record OversizedRequest(HttpVersion version, boolean keepAlive, int limit) {
}
