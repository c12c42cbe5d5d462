package cloud.cless.core.service;

import java.time.Instant;
import java.util.Objects;

/**
 * One immutable version of a service: what its containers run, numbered per service from 1 and never reused.
 *
 * @param service   the service's name
 * @param number    1, 2, ...; a deleted revision's number is not given out again
 * @param name      {@code <service>-<number>}, the number zero-padded to five digits ({@code hello-00001})
 * @param createdAt when the change that made it was stored
 * @param spec      what its containers run
 */
public record Revision(String service, int number, String name, Instant createdAt, RevisionSpec spec) {

    private static final int DIGITS = 5;

    public Revision {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(spec, "spec");
        if (number < 1) {
            throw new IllegalArgumentException("revision numbers start at 1, got " + number);
        }
        if (!name(service, number).equals(name)) {
            throw new IllegalArgumentException("revision " + number + " of " + service + " is named "
                    + name(service, number) + ", not " + name);
        }
    }

    public static Revision of(String service, int number, Instant createdAt, RevisionSpec spec) {
        return new Revision(service, number, name(service, number), createdAt, spec);
    }

    /** {@code <service>-<number>}, the number zero-padded to five digits. */
    public static String name(String service, int number) {
        String digits = Integer.toString(number);
        StringBuilder name = new StringBuilder(service.length() + 1 + Math.max(DIGITS, digits.length()))
                .append(service).append('-');
        for (int i = digits.length(); i < DIGITS; i++) {
            name.append('0');
        }
        return name.append(digits).toString();
    }

    /**
     * The definition the instances of this revision run with: this revision's container fields and the service's
     * current host, scaling and timeouts (those change in place for every revision).
     */
    public ServiceDefinition applyTo(ServiceDefinition service) {
        if (!service.name().equals(this.service)) {
            throw new IllegalArgumentException(name + " is not a revision of " + service.name());
        }
        return service.toBuilder()
                .imageName(spec.imageName()).imageTag(spec.imageTag()).upstream(spec.upstream()).port(spec.port())
                .env(spec.env()).readinessPath(spec.readinessPath()).memoryMb(spec.memoryMb()).cpus(spec.cpus())
                .build();
    }
}
