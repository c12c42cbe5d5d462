package cloud.cless.admin;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.service.ServiceDefinition;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Reads and writes the admin API's JSON. Reading is strict: unknown fields, type mismatches (no coercion of
 * {@code "8080"} to a number), duplicate keys and trailing tokens are all rejected with an {@link ApiException}
 * that names the field.
 */
public final class AdminJson {
    private final ObjectMapper mapper;
    private final ObjectReader definitionReader;

    public AdminJson() {
        JsonMapper built = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        // Numbers and booleans are not strings either (env values, names): the client meant something else.
        built.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        this.mapper = built;
        this.definitionReader = built.readerFor(DefinitionDocument.class);
    }

    /** Parses a request body into the definition it asks for; the buffer is read, not released. */
    public ServiceDefinition readDefinition(ByteBuf body) {
        if (!body.isReadable()) {
            throw ApiException.malformed("request body is empty; expected a JSON object");
        }
        DefinitionDocument document;
        try (InputStream in = new ByteBufInputStream(body.duplicate());
             JsonParser parser = mapper.createParser(in)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw ApiException.malformed("request body is empty; expected a JSON object");
            }
            if (first != JsonToken.START_OBJECT) {
                throw ApiException.malformed("request body must be a JSON object");
            }
            document = definitionReader.readValue(parser);
            if (parser.nextToken() != null) {
                throw ApiException.malformed("unexpected data after the JSON object (line "
                        + parser.currentLocation().getLineNr() + ", column "
                        + parser.currentLocation().getColumnNr() + ")");
            }
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.invalidDefinition(Map.of(path(e), "is not a known field"));
        } catch (JsonMappingException e) {
            if (e.getPath().isEmpty()) {
                throw ApiException.malformed(describe(e));
            }
            String problem = e instanceof MismatchedInputException m ? expectation(m.getTargetType()) : describe(e);
            throw ApiException.invalidDefinition(Map.of(path(e), problem));
        } catch (JacksonException e) {
            throw ApiException.malformed(describe(e));
        } catch (IOException e) {
            throw ApiException.malformed("cannot read the request body: " + e.getMessage());
        }
        return document.toDefinition();
    }

    public byte[] writeDefinition(ServiceDefinition definition) {
        return write(DefinitionDocument.of(definition));
    }

    public byte[] writeDefinitions(List<ServiceDefinition> definitions) {
        return write(definitions.stream().map(DefinitionDocument::of).toList());
    }

    public byte[] writeInstances(List<InstanceInfo> instances) {
        return write(instances.stream().map(InstanceDocument::of).toList());
    }

    byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            // Our own documents always serialize; failing here is a bug, not a client error.
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static String path(JsonMappingException e) {
        StringJoiner joiner = new StringJoiner(".");
        for (JsonMappingException.Reference ref : e.getPath()) {
            joiner.add(ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]");
        }
        return joiner.toString();
    }

    private static String expectation(Class<?> target) {
        if (target == null) {
            return "has the wrong type";
        }
        if (target == Integer.class || target == int.class || target == Long.class) {
            return "must be an integer";
        }
        if (target == Double.class || target == double.class) {
            return "must be a number";
        }
        if (target == String.class) {
            return "must be a string";
        }
        if (Map.class.isAssignableFrom(target)) {
            return "must be an object of string values";
        }
        return "has the wrong type";
    }

    private static String describe(JacksonException e) {
        String text = e.getOriginalMessage();
        // Jackson's messages can quote class names; keep only the first line, which says what was wrong.
        int newline = text == null ? -1 : text.indexOf('\n');
        if (newline >= 0) {
            text = text.substring(0, newline);
        }
        JsonLocation where = e.getLocation();
        String at = where == null || where.getLineNr() < 0
                ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
        return "malformed JSON: " + text + at;
    }
}
