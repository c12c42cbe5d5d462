package cloud.cless.core.service;

import java.util.Map;
import java.util.TreeMap;

/** A definition broke one or more rules; {@link #fields()} maps each bad field (snake_case) to what is wrong. */
public class InvalidDefinitionException extends RuntimeException {
    private final Map<String, String> fields;

    public InvalidDefinitionException(Map<String, String> fields) {
        super(describe(fields));
        this.fields = Map.copyOf(fields);
    }

    public Map<String, String> fields() {
        return fields;
    }

    private static String describe(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder("invalid service definition");
        String sep = ": ";
        for (Map.Entry<String, String> e : new TreeMap<>(fields).entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = "; ";
        }
        return sb.toString();
    }
}
