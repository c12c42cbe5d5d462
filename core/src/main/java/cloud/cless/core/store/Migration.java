package cloud.cless.core.store;

import java.util.List;

/**
 * One step of a store's schema: {@code version} is its position in the dialect's list, counting from 1. A later
 * version of cless appends migrations and never edits applied ones.
 */
record Migration(int version, String description, List<String> statements) {
}
