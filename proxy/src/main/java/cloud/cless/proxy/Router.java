package cloud.cless.proxy;

import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.RequestHeadWriter;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Second step: routes one request by its own Host. The admin host hands the connection to the admin API; a
 * service's host, or the host of one of its tags ({@code <tag>--<host>}), starts an {@link Exchange} with a revision
 * of that service: the tag's, else one drawn from the traffic split for this request alone (the head is rewritten
 * for upstream right away, so the client's bytes are free while the lease is awaited); any other host is a 404 for
 * this request alone.
 */
final class Router {
    /** A body this small, of an idempotent request and read with its head, is kept for a retry. */
    private static final int MAX_REPLAYED_BODY = 16 * 1024;

    private final RequestPath path;
    private final ServiceRegistry registry;
    private final String adminHost;

    Router(RequestPath path) {
        this.path = path;
        this.registry = path.registry();
        this.adminHost = path.config().adminHost();
    }

    void route(ClientRequests client, RequestHead head) {
        String host = head.host();
        if (host != null && host.equals(adminHost)) {
            client.toAdmin();
            return;
        }
        ClientConnection connection = client.connection();
        ByteBuf inbound = connection.inbound().buffer();
        Route route = host == null ? null : registry.route(host);
        if (route == null) {
            inbound.skipBytes(head.length());
            client.answer(ClientError.NOT_FOUND, host == null ? "the request names no host"
                    : "no service for host " + host, false);
            return;
        }
        // The event loop's own generator: no lock, no allocation.
        Revision revision = route.revision(ThreadLocalRandom.current());
        client.record().routed(route.service().name(), revision.name());
        long maxBody = path.config().maxBodySize();
        if (maxBody > 0 && head.contentLength() > maxBody) {
            client.refuse(ClientError.CONTENT_TOO_LARGE, "request body of " + head.contentLength()
                    + " bytes is larger than the limit of " + maxBody + " bytes");
            return;
        }
        long length = head.contentLength();
        boolean bodyInHand = head.hasBody() && !head.chunked() && head.idempotent() && length <= MAX_REPLAYED_BODY
                && inbound.readableBytes() - head.length() >= length;
        ClientAddress address = connection.address();
        ByteBuf upstreamHead = RequestHeadWriter.write(inbound, inbound.readerIndex(), head, address.ascii(),
                address.trusted(), connection.alloc(), bodyInHand ? (int) length : 0);
        inbound.skipBytes(head.length());
        if (bodyInHand) {
            // Travels inside the head's buffer, which is kept until the first response byte: a retry has it all.
            upstreamHead.writeBytes(inbound, (int) length);
            client.record().in += length;
            client.requestBody().none();
        }
        client.exchange(new Exchange(client, path, route, revision, upstreamHead, !head.hasBody() || bodyInHand));
    }
}
