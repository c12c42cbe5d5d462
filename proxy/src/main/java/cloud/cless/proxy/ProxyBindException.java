package cloud.cless.proxy;

import java.util.Locale;

/** The proxy listener could not bind its address; the message says why in words a user can act on. */
public final class ProxyBindException extends RuntimeException {
    private final String address;
    private final boolean permissionDenied;

    public ProxyBindException(String address, Throwable cause) {
        super(message(address, cause), cause);
        this.address = address;
        this.permissionDenied = isPermissionDenied(cause);
    }

    /** {@code host:port} that could not be bound. */
    public String address() {
        return address;
    }

    /** True when the process lacks the right to bind the port (e.g. a port below 1024 without root). */
    public boolean permissionDenied() {
        return permissionDenied;
    }

    private static String message(String address, Throwable cause) {
        String text = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        String why;
        if (isPermissionDenied(cause)) {
            why = "permission denied";
        } else if (text.contains("address already in use")) {
            why = "address already in use";
        } else if (text.contains("cannot assign requested address")) {
            why = "no such local address";
        } else {
            why = String.valueOf(cause.getMessage());
        }
        return "cannot bind " + address + ": " + why;
    }

    private static boolean isPermissionDenied(Throwable cause) {
        return cause.getMessage() != null && cause.getMessage().toLowerCase(Locale.ROOT).contains("permission denied");
    }
}
