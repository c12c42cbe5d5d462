package cloud.cless.proxy.http1;

/** What each header field routing, framing or forwarding cares about means for a {@link RequestHead}. */
final class RequestFields {
    private RequestFields() {
    }

    /**
     * Reads one known field: its value is a[v, ve) (OWS trimmed), its line [lineStart, lineEnd) relative to the
     * head's start at {@code base}. False, with the head's error set, when the field makes the head unacceptable.
     */
    static boolean read(int name, byte[] a, int base, int v, int ve, int lineStart, int lineEnd, RequestHead head) {
        switch (name) {
            case Names.HOST -> {
                if (head.hostSeen) {
                    return refuse(head, "more than one Host header");
                }
                head.hostSeen = true;
                head.hostValueStart = v - base;
                head.hostValueEnd = ve - base;
                String host = head.rememberHost(a, v, ve);
                if (host == null) {
                    return refuse(head, "invalid Host header");
                }
                if (!head.absoluteForm) {
                    head.host = host.isEmpty() ? null : host;
                }
                head.mark(MessageHead.HOST, lineStart, lineEnd);
            }
            case Names.CONTENT_LENGTH -> {
                if (!FramingFields.contentLength(head, a, v, ve)) {
                    return false;
                }
                head.mark(MessageHead.CONTENT_LENGTH, lineStart, lineEnd);
            }
            case Names.TRANSFER_ENCODING -> {
                FramingFields.transferEncoding(head, a, v, ve);
                head.mark(MessageHead.TRANSFER_ENCODING, lineStart, lineEnd);
            }
            case Names.CONNECTION -> {
                FramingFields.connection(head, a, base, v, ve);
                head.mark(MessageHead.CONNECTION, lineStart, lineEnd);
            }
            case Names.KEEP_ALIVE_FIELD, Names.PROXY_CONNECTION, Names.TE ->
                    head.mark(MessageHead.HOP_BY_HOP, lineStart, lineEnd);
            case Names.UPGRADE_FIELD -> {
                head.upgradeField = true;
                head.mark(MessageHead.UPGRADE, lineStart, lineEnd);
            }
            case Names.EXPECT -> head.expectContinue |= ve - v == Names.CONTINUE.length
                    && HttpBytes.equalsLower(a, v, Names.CONTINUE);
            case Names.X_FORWARDED_FOR -> {
                head.forwardedFor(v - base, ve - base);
                head.mark(MessageHead.FORWARDED_FOR, lineStart, lineEnd);
            }
            case Names.X_FORWARDED_PROTO -> {
                head.forwardedProto = true;
                head.mark(MessageHead.FORWARDED_PROTO, lineStart, lineEnd);
            }
            case Names.X_FORWARDED_HOST -> {
                head.forwardedHost = true;
                head.mark(MessageHead.FORWARDED_HOST, lineStart, lineEnd);
            }
            default -> {
            }
        }
        return true;
    }

    private static boolean refuse(RequestHead head, String reason) {
        head.error = reason;
        return false;
    }
}
