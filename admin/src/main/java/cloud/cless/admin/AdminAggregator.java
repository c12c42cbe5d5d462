package cloud.cless.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * Aggregates admin requests up to the body limit. A body over the limit (by Content-Length, by a chunked body
 * growing past it, or announced with {@code Expect: 100-continue}) becomes an {@link OversizedRequest} for the
 * {@link AdminHandler} to answer with the API's JSON 413; the rest of that body is discarded.
 */
final class AdminAggregator extends HttpObjectAggregator {

    AdminAggregator(int maxBodyBytes) {
        super(maxBodyBytes);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof HttpResponse r && r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
            // Netty's own 413 has no body; answering null sends the request down the oversized path instead.
            ReferenceCountUtil.release(response);
            return null;
        }
        return response;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.fireChannelRead(new OversizedRequest(oversized.protocolVersion(), HttpUtil.isKeepAlive(oversized),
                maxContentLength()));
    }
}
