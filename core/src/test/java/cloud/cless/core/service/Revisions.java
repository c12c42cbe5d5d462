package cloud.cless.core.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Test values: definitions with defaults, and services with revisions. */
final class Revisions {
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);

    private Revisions() {
    }

    /** {@code hello} on {@code hello.localhost}, running {@code cless-test/hello:<tag>}, defaults applied. */
    static ServiceDefinition hello(String tag) {
        return DEFAULTS.apply(ServiceDefinition.builder("hello").imageName("cless-test/hello").imageTag(tag).build());
    }

    static Revision revision(ServiceDefinition def, int number) {
        return Revision.of(def.name(), number, T0.plusSeconds(number), RevisionSpec.of(def));
    }

    /** A service with revisions 1..n of {@code hello:v<i>}; its definition runs the last; {@code traffic} given. */
    static RegisteredService helloWithRevisions(int n, List<TrafficTarget> traffic) {
        List<Revision> revisions = new java.util.ArrayList<>();
        for (int i = 1; i <= n; i++) {
            revisions.add(revision(hello("v" + i), i));
        }
        return new RegisteredService(hello("v" + n).toBuilder().traffic(traffic).build(), revisions, Map.of());
    }
}
