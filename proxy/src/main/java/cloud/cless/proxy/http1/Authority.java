package cloud.cless.proxy.http1;

/** Turns a Host value or a target's authority into the form the host index uses. */
final class Authority {
    private Authority() {
    }

    /**
     * a[from, to) normalised: lower case, no port, no trailing dot. "" for an empty value, null for an invalid one
     * (a bad character, a bad port, userinfo, an unclosed IPv6 literal).
     */
    static String normalise(byte[] a, int from, int to) {
        if (from == to) {
            return "";
        }
        int hostEnd;
        int portStart;
        if (a[from] == '[') {
            int close = HttpBytes.indexOf(a, from, to, (byte) ']');
            if (close < 0 || close == from + 1) {
                return null;
            }
            for (int k = from + 1; k < close; k++) {
                byte c = a[k];
                if (!(c == ':' || c == '.' || HttpBytes.hex(c) >= 0)) {
                    return null;
                }
            }
            hostEnd = close + 1;
            portStart = hostEnd;
        } else {
            int colon = HttpBytes.indexOf(a, from, to, (byte) ':');
            hostEnd = colon < 0 ? to : colon;
            portStart = hostEnd;
            if (hostEnd > from && a[hostEnd - 1] == '.') {
                hostEnd--;
            }
            if (hostEnd == from) {
                return null;
            }
            for (int k = from; k < hostEnd; k++) {
                byte c = a[k];
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_';
                if (!ok) {
                    return null;
                }
            }
        }
        if (portStart < to && !validPort(a, portStart, to)) {
            return null;
        }
        char[] chars = new char[hostEnd - from];
        for (int k = 0; k < chars.length; k++) {
            byte c = a[from + k];
            chars[k] = (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return new String(chars);
    }

    // ":" followed by at most 5 digits, at most 65535; an empty port is allowed (RFC 3986 3.2.3).
    private static boolean validPort(byte[] a, int from, int to) {
        if (a[from] != ':' || to - from > 6) {
            return false;
        }
        if (to - from == 1) {
            return true;
        }
        long port = HttpBytes.decimal(a, from + 1, to);
        return port >= 0 && port <= 65535;
    }
}
