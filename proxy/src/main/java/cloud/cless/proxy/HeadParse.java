package cloud.cless.proxy;

/**
 * What {@link RequestHeadParser} made of the bytes so far.
 *
 * @param outcome  the verdict
 * @param head     the parsed head, only for {@link Outcome#OK}
 * @param reason   why the bytes were rejected, only for {@link Outcome#BAD}
 * @param resumeAt for {@link Outcome#NEED_MORE}: offset from the reader index where the next scan may start
 */
public record HeadParse(Outcome outcome, RequestHead head, String reason, int resumeAt) {

    /** The verdict on the bytes so far. */
    public enum Outcome {
        /** The head is not complete yet and nothing is wrong so far. */
        NEED_MORE,
        /** No end of head within the size limit (431). */
        TOO_LARGE,
        /** Not an HTTP/1.x request head we accept (400). */
        BAD,
        /** A complete, valid head. */
        OK
    }

    static HeadParse needMore(int resumeAt) {
        return new HeadParse(Outcome.NEED_MORE, null, null, resumeAt);
    }

    static HeadParse tooLarge() {
        return new HeadParse(Outcome.TOO_LARGE, null, "request head larger than the limit", 0);
    }

    static HeadParse bad(String reason) {
        return new HeadParse(Outcome.BAD, null, reason, 0);
    }

    static HeadParse ok(RequestHead head) {
        return new HeadParse(Outcome.OK, head, null, 0);
    }
}
