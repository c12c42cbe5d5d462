package cloud.cless.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A class that releases every buffer it uses: the auto-detected leak check must let it pass. */
class LeakFreeBufferUseTest {

    @Test
    void buffersPassedThroughAPipelineAreReleased() {
        EmbeddedChannel channel = new EmbeddedChannel();
        ByteBuf sent = ByteBufAllocator.DEFAULT.buffer().writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(channel.writeInbound(sent)).isTrue();
        ByteBuf received = channel.readInbound();
        try {
            assertThat(received.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        } finally {
            received.release();
        }
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void compositeBuffersReleaseTheirParts() {
        CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeBuffer();
        composite.addComponent(true, ByteBufAllocator.DEFAULT.directBuffer().writeInt(1));
        composite.addComponent(true, ByteBufAllocator.DEFAULT.heapBuffer().writeInt(2));
        assertThat(composite.readableBytes()).isEqualTo(8);
        assertThat(composite.release()).isTrue();
    }
}
