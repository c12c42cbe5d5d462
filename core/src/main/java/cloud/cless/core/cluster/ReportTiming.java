package cloud.cless.core.cluster;

import java.time.Duration;

/**
 * How often replicas report, and when a silent one counts as stale (its state unknown: it blocks scale to zero)
 * and then as dead (dropped from the reports; it no longer blocks anything).
 */
public record ReportTiming(Duration interval, Duration staleAfter, Duration deadAfter) {
    public static final ReportTiming DEFAULT = new ReportTiming(Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(15));

    public ReportTiming {
        if (interval.isNegative() || interval.isZero() || staleAfter.compareTo(interval) <= 0
                || deadAfter.compareTo(staleAfter) <= 0) {
            throw new IllegalArgumentException("report timing needs 0 < interval < staleAfter < deadAfter, not "
                    + interval + ", " + staleAfter + ", " + deadAfter);
        }
    }
}
