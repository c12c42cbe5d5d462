package cloud.cless.core.store;

/** No service of that name is registered. */
public class ServiceNotFoundException extends RuntimeException {
    public ServiceNotFoundException(String name) {
        super("no service named '" + name + "'");
    }
}
