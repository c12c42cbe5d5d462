package cloud.cless.proxy;

import cloud.cless.proxy.http1.RequestHead;
import cloud.cless.proxy.http1.RequestHeadParser;

/**
 * Reads the request heads of a client connection from its bytes, one at a time, each within --max-header-size
 * and --header-timeout: a complete head goes to its {@link ClientRequests} as the next request, a refused one
 * becomes cless's answer (400, 431, 501). The next head is read only when the previous request is over.
 */
final class HeadReader {
    private final RequestHeadParser parser;
    private final ClientRequests requests;
    private final ClientConnection connection;
    private final RequestHead head;
    private boolean reading;
    private long startNanos;

    HeadReader(RequestHeadParser parser, ClientRequests requests) {
        this.parser = parser;
        this.requests = requests;
        this.connection = requests.connection();
        this.head = requests.head();
    }

    /** Reads the heads waiting in the connection's bytes while the requests are ready for the next. */
    void read() {
        if (reading) {
            return; // a request answered at once comes back here: the loop below goes on
        }
        reading = true;
        InboundBytes inbound = connection.inbound();
        try {
            while (requests.readingHeads() && inbound.readable() > 0) {
                if (startNanos == 0) {
                    startNanos = System.nanoTime();
                }
                switch (parser.parse(inbound.buffer(), head)) {
                    case INCOMPLETE -> {
                        if (inbound.readable() > 0) {
                            connection.timeouts().header();
                        }
                        return;
                    }
                    case COMPLETE -> {
                        connection.timeouts().none();
                        long began = startNanos;
                        startNanos = 0;
                        requests.request(began, inbound.buffer());
                    }
                    case TOO_LARGE -> requests.refuse(ClientError.HEADER_FIELDS_TOO_LARGE, head.error());
                    case NOT_IMPLEMENTED -> requests.refuse(ClientError.NOT_IMPLEMENTED, head.error());
                    default -> requests.refuse(ClientError.BAD_REQUEST, head.error());
                }
            }
        } finally {
            reading = false;
        }
        if (requests.readingHeads() && connection.inputEnded() && inbound.readable() == 0) {
            requests.close(); // the client ended its side and all it sent was answered
        }
    }

    /** Whether a head is being parsed right now (an event then must not answer in the middle of it). */
    boolean reading() {
        return reading;
    }

    /** When the first byte of the head being read came, or now when none did. */
    long startNanos() {
        return startNanos == 0 ? System.nanoTime() : startNanos;
    }
}
