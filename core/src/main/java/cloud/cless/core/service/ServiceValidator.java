package cloud.cless.core.service;

import java.util.LinkedHashMap;
import java.util.Map;

/** Checks a definition (with defaults applied) against every rule of the admin API contract. */
public final class ServiceValidator {

    /** Throws {@link InvalidDefinitionException} naming every bad field. */
    public void check(ServiceDefinition def) {
        Map<String, String> errors = validate(def);
        if (!errors.isEmpty()) {
            throw new InvalidDefinitionException(errors);
        }
    }

    /** Field (snake_case) to message, empty when the definition is valid. */
    public Map<String, String> validate(ServiceDefinition def) {
        Map<String, String> errors = new LinkedHashMap<>();
        return errors;
    }
}
