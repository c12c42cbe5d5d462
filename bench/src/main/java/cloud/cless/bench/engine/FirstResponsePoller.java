package cloud.cless.bench.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Polls an HTTP server in this process until it answers {@code GET /} with 200, retrying on the readiness probe's
 * schedule: every attempt is one connection that sends the probe's kind of request and reads the status line; a
 * refused or reset connect, a close without a response or another status means "not yet".
 */
final class FirstResponsePoller {
    private static final byte[] REQUEST = ("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cless-bench\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    /** {@code HTTP/1.1 200}: enough of the status line to see the status. */
    private static final int STATUS_LINE_PREFIX = 12;

    private final ProbeSchedule schedule;
    private final int attemptTimeoutMillis;

    /** @param attemptTimeoutMillis bound on one attempt's connect and on the wait for its status line */
    FirstResponsePoller(ProbeSchedule schedule, int attemptTimeoutMillis) {
        this.schedule = schedule;
        this.attemptTimeoutMillis = attemptTimeoutMillis;
    }

    /** Polls {@code target} until it answers 200 and returns the number of attempts made. */
    int awaitOk(InetSocketAddress target, long timeoutMillis) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long delayMillis = schedule.firstRetryMillis();
        String last = "no attempt made";
        for (int attempts = 1; ; attempts++) {
            String verdict = attempt(target);
            if (verdict == null) {
                return attempts;
            }
            last = verdict;
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                throw new TimeoutException(target + " did not answer 200 within " + timeoutMillis + " ms after "
                        + attempts + " attempt(s); last: " + last);
            }
            LockSupport.parkNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(delayMillis), remainingNanos));
            if (Thread.interrupted()) {
                throw new InterruptedException("polling " + target);
            }
            delayMillis = schedule.next(delayMillis);
        }
    }

    /** One attempt: null when the server answered 200, else why not. */
    private String attempt(InetSocketAddress target) {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(target, attemptTimeoutMillis);
            socket.setSoTimeout(attemptTimeoutMillis);
            OutputStream out = socket.getOutputStream();
            out.write(REQUEST);
            out.flush();
            byte[] head = new byte[STATUS_LINE_PREFIX];
            int length = 0;
            InputStream in = socket.getInputStream();
            while (length < head.length) {
                int n = in.read(head, length, head.length - length);
                if (n < 0) {
                    return length == 0 ? "closed without a response" : "short response";
                }
                length += n;
            }
            String status = new String(head, StandardCharsets.US_ASCII);
            return status.startsWith("HTTP/1.") && status.endsWith(" 200") ? null : "answered " + status;
        } catch (IOException e) {
            return e.toString();
        }
    }
}
