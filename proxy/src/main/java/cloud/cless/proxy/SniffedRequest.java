package cloud.cless.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * The first request head of a connection, parsed, together with every byte read so far (the head and whatever
 * followed it), which still has to reach the chosen destination. Whoever receives it owns the bytes.
 */
public final class SniffedRequest extends DefaultByteBufHolder {
    private final RequestHead head;

    public SniffedRequest(RequestHead head, ByteBuf bytes) {
        super(bytes);
        this.head = head;
    }

    public RequestHead head() {
        return head;
    }

    @Override
    public SniffedRequest replace(ByteBuf content) {
        return new SniffedRequest(head, content);
    }
}
