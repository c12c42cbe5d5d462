package cloud.cless.core.testing;

/**
 * One leak Netty's detector found: an object of {@code resourceType} (usually ByteBuf) was garbage collected
 * without being released.
 *
 * @param resourceType the simple name of the leaked resource's type
 * @param records      where it was created and last touched; empty when the level recorded nothing
 */
public record LeakReport(String resourceType, String records) {

    @Override
    public String toString() {
        return "LEAK: " + resourceType + " was not released."
                + (records.isEmpty() ? " (no access records at this leak detection level)" : records);
    }
}
