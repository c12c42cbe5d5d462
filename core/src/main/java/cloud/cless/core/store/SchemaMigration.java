package cloud.cless.core.store;

import java.util.List;

/**
 * One numbered step of a store's schema: its statements run in one transaction, after every step with a lower
 * number. Released steps are never edited; a later cless appends new ones.
 */
public record SchemaMigration(int version, String description, List<String> statements) {
    public SchemaMigration {
        if (version < 1) {
            throw new IllegalArgumentException("migration versions count from 1, not " + version);
        }
        statements = List.copyOf(statements);
    }
}
