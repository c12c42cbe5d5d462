package cloud.cless.core.cluster;

/** Whether a revision may scale to zero now, and why (or why not), for the log and {@code GET /cluster}. */
public record ScaleToZeroDecision(boolean allowed, String reason) {

    static ScaleToZeroDecision allow(String reason) {
        return new ScaleToZeroDecision(true, reason);
    }

    static ScaleToZeroDecision refuse(String reason) {
        return new ScaleToZeroDecision(false, reason);
    }
}
