package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.CR;
import static cloud.cless.proxy.http1.HttpBytes.LF;
import static cloud.cless.proxy.http1.HttpBytes.SP;
import static cloud.cless.proxy.http1.HttpBytes.ows;
import static cloud.cless.proxy.http1.HttpBytes.tchar;

import io.netty.buffer.ByteBuf;

/**
 * Parses a response head from an app: the status line and what framing needs. Lines may end in a bare LF (CGI
 * scripts write them so, and clients accept them; RFC 9112 2.2); everything that makes the framing ambiguous is
 * refused: obsolete line folding, whitespace before a colon, control bytes, invalid or conflicting
 * Content-Length, a 101 without Upgrade. Thread-safe.
 */
public final class ResponseHeadParser {
    /** Largest response head accepted from an app; a larger one is a malformed response (502). */
    public static final int MAX_HEAD_SIZE = 64 * 1024;

    private final HeadBytes bytes = new HeadBytes();

    /** Parses the head at the reader index of {@code buf} into {@code head}; moves no index. */
    public Verdict parse(ByteBuf buf, ResponseHead head) {
        int resume = head.scanned;
        head.reset();
        int start = buf.readerIndex();
        int readable = buf.readableBytes();
        int end = HeadBytes.end(buf, start, start + resume, start + Math.min(readable, MAX_HEAD_SIZE), false);
        if (end < 0) {
            if (readable >= MAX_HEAD_SIZE) {
                head.error = "response head larger than " + MAX_HEAD_SIZE + " bytes";
                return Verdict.TOO_LARGE;
            }
            if (!startsLikeStatusLine(buf, start, readable)) {
                return RequestHeadParser.bad(head, "not an HTTP/1.x response");
            }
            head.scanned = Math.max(0, readable - 3);
            return Verdict.INCOMPLETE;
        }
        return bytes.parse(buf, start, end - start, head, ResponseHeadParser::parseHead);
    }

    private static Verdict parseHead(byte[] a, int base, int length, ResponseHead head) {
        int end = base + length;
        int lineEnd = HttpBytes.indexOf(a, base, end, LF);
        int contentEnd = a[lineEnd - 1] == CR ? lineEnd - 1 : lineEnd;
        // HTTP/1.x SP 3DIGIT [SP reason-phrase]
        if (contentEnd - base < 12 || a[base] != 'H' || a[base + 1] != 'T' || a[base + 2] != 'T'
                || a[base + 3] != 'P' || a[base + 4] != '/' || a[base + 5] != '1' || a[base + 6] != '.'
                || a[base + 7] < '0' || a[base + 7] > '9' || a[base + 8] != SP) {
            return RequestHeadParser.bad(head, "malformed status line");
        }
        long status = HttpBytes.decimal(a, base + 9, base + 12);
        if (status < 100 || (contentEnd > base + 12 && a[base + 12] != SP)) {
            return RequestHeadParser.bad(head, "malformed status line");
        }
        for (int i = base + 12; i < contentEnd; i++) {
            if (!HttpBytes.fieldValue(a[i])) {
                return RequestHeadParser.bad(head, "control character in the status line");
            }
        }
        head.status = (int) status;
        head.http11 = a[base + 7] > '0';
        head.fieldsStart = lineEnd + 1 - base;
        head.fieldsEnd = length - (a[end - 2] == CR ? 2 : 1);
        int pos = lineEnd + 1;
        int limit = base + head.fieldsEnd;
        while (pos < limit) {
            if (ows(a[pos])) {
                return RequestHeadParser.bad(head, "obsolete line folding in a response header");
            }
            int colon = pos;
            while (tchar(a[colon])) {
                colon++;
            }
            if (colon == pos || a[colon] != ':') {
                return RequestHeadParser.bad(head, "malformed response header field name");
            }
            int k = colon + 1;
            while (HttpBytes.fieldValue(a[k])) {
                k++;
            }
            int next;
            if (a[k] == LF) {
                next = k + 1;
            } else if (a[k] == CR && a[k + 1] == LF) {
                next = k + 2;
            } else {
                return RequestHeadParser.bad(head, "control character in a response header value");
            }
            int name = Names.of(a, pos, colon - pos);
            if (name != Names.OTHER && !field(name, a, base, colon + 1, k, pos - base, next - base, head)) {
                return Verdict.BAD;
            }
            pos = next;
        }
        if (head.status == 101 && !head.upgradeField) {
            return RequestHeadParser.bad(head, "101 response without Upgrade");
        }
        head.dropListedOptions(a, base);
        return Verdict.COMPLETE;
    }

    private static boolean field(int name, byte[] a, int base, int v, int ve, int lineStart, int lineEnd,
                                 ResponseHead head) {
        while (v < ve && ows(a[v])) {
            v++;
        }
        while (ve > v && ows(a[ve - 1])) {
            ve--;
        }
        switch (name) {
            case Names.CONTENT_LENGTH -> {
                if (!FramingFields.contentLength(head, a, v, ve)) {
                    return false;
                }
                head.mark(MessageHead.CONTENT_LENGTH, lineStart, lineEnd);
            }
            case Names.TRANSFER_ENCODING -> FramingFields.transferEncoding(head, a, v, ve);
            case Names.CONNECTION -> {
                FramingFields.connection(head, a, base, v, ve);
                head.mark(MessageHead.CONNECTION, lineStart, lineEnd);
            }
            case Names.KEEP_ALIVE_FIELD, Names.PROXY_CONNECTION -> head.mark(MessageHead.HOP_BY_HOP, lineStart, lineEnd);
            case Names.UPGRADE_FIELD -> {
                head.upgradeField = true;
                head.mark(MessageHead.UPGRADE, lineStart, lineEnd);
            }
            default -> {
            }
        }
        return true;
    }

    private static boolean startsLikeStatusLine(ByteBuf buf, int start, int readable) {
        int n = Math.min(readable, 5);
        for (int k = 0; k < n; k++) {
            if (buf.getByte(start + k) != "HTTP/".charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
