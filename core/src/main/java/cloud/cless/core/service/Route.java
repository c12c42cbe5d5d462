package cloud.cless.core.service;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * What a request's host leads to: a service, and either one fixed revision (the host of a tag) or the service's
 * traffic split. Made once per change of the service, so a lookup and a choice allocate nothing.
 *
 * @param service the service's definition
 * @param tag     the tag whose host this is, null for the service's own host
 * @param fixed   the revision the tag reaches, null for the service's own host
 * @param traffic the split of the service's own host, null for a tag's host
 */
public record Route(ServiceDefinition service, String tag, Revision fixed, RevisionChooser traffic) {

    public Route {
        Objects.requireNonNull(service, "service");
        if ((tag == null) != (fixed == null) || (fixed == null) == (traffic == null)) {
            throw new IllegalArgumentException("a route is either a tag with its revision or a traffic split");
        }
    }

    static Route of(RegisteredService service) {
        return new Route(service.definition(), null, null, service.traffic().chooser());
    }

    static Route tagged(RegisteredService service, String tag, Revision revision) {
        return new Route(service.definition(), tag, revision, null);
    }

    /** The revision for one request: the tag's, else one drawn from the traffic with {@code random}. */
    public Revision revision(RandomGenerator random) {
        return fixed != null ? fixed : traffic.choose(random);
    }

    /** True for the host of a tag. */
    public boolean tagged() {
        return fixed != null;
    }
}
