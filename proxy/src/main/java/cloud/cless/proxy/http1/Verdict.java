package cloud.cless.proxy.http1;

/** What a head parser made of the bytes so far; the reason of a refusal is the head's {@link MessageHead#error()}. */
public enum Verdict {
    /** The head is not complete yet, and nothing is wrong so far. */
    INCOMPLETE,
    /** A complete head that may be forwarded. */
    COMPLETE,
    /** No end of head within the size limit. */
    TOO_LARGE,
    /** Not a head cless accepts: malformed, or a shape that could be read two ways (request smuggling). */
    BAD,
    /** Well-formed, but asks for something cless does not do (an unknown transfer coding, CONNECT). */
    NOT_IMPLEMENTED
}
