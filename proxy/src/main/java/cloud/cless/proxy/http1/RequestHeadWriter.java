package cloud.cless.proxy.http1;

import static cloud.cless.proxy.http1.HttpBytes.ascii;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Writes the head a request goes upstream with: the request line in origin-form, the client's field lines as they
 * came less the hop-by-hop ones (Connection and the fields it names, Keep-Alive, Proxy-Connection, TE, and Upgrade
 * unless upgrading), framing fields written once when the client wrote them ambiguously, and X-Forwarded-For,
 * -Proto and -Host. A peer in {@code --trusted-proxies} keeps its X-Forwarded-* fields and extends the chain.
 */
public final class RequestHeadWriter {
    private static final byte[] SLASH = ascii("/");
    private static final byte[] STAR = ascii("*");
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    private static final byte[] TRANSFER_ENCODING = ascii("Transfer-Encoding: ");
    private static final byte[] HOST = ascii("Host: ");
    private static final byte[] CONNECTION_UPGRADE = ascii("Connection: upgrade\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = ascii("Connection: keep-alive\r\n");
    private static final byte[] FORWARDED_FOR = ascii("X-Forwarded-For: ");
    private static final byte[] COMMA = ascii(", ");
    private static final byte[] FORWARDED_PROTO = ascii("X-Forwarded-Proto: http\r\n");
    private static final byte[] FORWARDED_HOST = ascii("X-Forwarded-Host: ");
    /** Room for the fields added to a head, beyond the client's address and host. */
    private static final int ADDED = 128;

    private RequestHeadWriter() {
    }

    /**
     * The upstream head for {@code head}, parsed from src[start, start + head.length()).
     *
     * @param client        the client's address as ASCII, for X-Forwarded-For
     * @param trusted       whether the peer is a trusted proxy whose X-Forwarded-* fields are kept
     * @param extraCapacity room to leave after the head (for body bytes the caller appends)
     */
    public static ByteBuf write(ByteBuf src, int start, RequestHead head, byte[] client, boolean trusted,
                                ByteBufAllocator alloc, int extraCapacity) {
        int chain = 0;
        if (trusted) {
            for (int k = 0; k < head.forwardedForInts; k += 2) {
                chain += head.forwardedFor[k + 1] - head.forwardedFor[k] + 2;
            }
        }
        int hostLength = head.absoluteForm ? head.authorityEnd - head.authorityStart
                : head.hostValueEnd - head.hostValueStart;
        ByteBuf out = alloc.directBuffer(head.length + ADDED + chain + client.length + 2 * hostLength + extraCapacity);

        // Request line, in origin-form.
        out.writeBytes(src, start, head.methodEnd + 1);
        if (head.originStart == head.targetEnd || src.getByte(start + head.originStart) == '?') {
            out.writeBytes(head.optionsMethod && head.originStart == head.targetEnd ? STAR : SLASH);
        }
        out.writeBytes(src, start + head.originStart, head.targetEnd - head.originStart);
        out.writeBytes(src, start + head.targetEnd, head.fieldsStart - head.targetEnd);

        // The client's fields, copied in runs between the lines left out.
        boolean upgrade = head.upgrade();
        boolean rewriteLength = head.contentLengthLines > 1 || head.contentLengthList;
        boolean rewriteCodings = head.transferEncodingLines > 0
                && (head.transferEncodingLines > 1 || head.codings > 1 || head.codingValueLength != 7);
        int pos = head.fieldsStart;
        for (int i = 0; i < head.markCount(); i++) {
            boolean drop = switch (head.markKind(i)) {
                case MessageHead.UPGRADE -> !upgrade;
                case MessageHead.HOST -> head.absoluteForm;
                case MessageHead.CONTENT_LENGTH -> rewriteLength;
                case MessageHead.TRANSFER_ENCODING -> rewriteCodings;
                case MessageHead.FORWARDED_PROTO, MessageHead.FORWARDED_HOST -> !trusted;
                default -> true; // hop-by-hop, Connection, X-Forwarded-For (written anew below)
            };
            if (drop) {
                out.writeBytes(src, start + pos, head.markStart(i) - pos);
                pos = head.markEnd(i);
            }
        }
        out.writeBytes(src, start + pos, head.fieldsEnd - pos);

        if (rewriteLength) {
            out.writeBytes(CONTENT_LENGTH);
            out.writeCharSequence(Long.toString(head.contentLength), java.nio.charset.StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        if (rewriteCodings) {
            out.writeBytes(TRANSFER_ENCODING);
            out.writeCharSequence(head.codingList, java.nio.charset.StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        if (head.absoluteForm) {
            out.writeBytes(HOST);
            out.writeBytes(src, start + head.authorityStart, head.authorityEnd - head.authorityStart);
            out.writeBytes(CRLF);
        }
        if (upgrade) {
            out.writeBytes(CONNECTION_UPGRADE);
        } else if (!head.http11) {
            out.writeBytes(CONNECTION_KEEP_ALIVE); // cless keeps its upstream connections, whatever the client does
        }
        out.writeBytes(FORWARDED_FOR);
        if (trusted) {
            for (int k = 0; k < head.forwardedForInts; k += 2) {
                out.writeBytes(src, start + head.forwardedFor[k], head.forwardedFor[k + 1] - head.forwardedFor[k]);
                out.writeBytes(COMMA);
            }
        }
        out.writeBytes(client);
        out.writeBytes(CRLF);
        if (!trusted || !head.forwardedProto) {
            out.writeBytes(FORWARDED_PROTO);
        }
        if ((!trusted || !head.forwardedHost) && (head.absoluteForm || head.hostSeen)) {
            out.writeBytes(FORWARDED_HOST);
            if (head.absoluteForm) {
                out.writeBytes(src, start + head.authorityStart, hostLength);
            } else {
                out.writeBytes(src, start + head.hostValueStart, hostLength);
            }
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        return out;
    }
}
