package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
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
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the admin API's JSON. Reading is strict: unknown fields, type mismatches (no coercion of
 * {@code "8080"} to a number), duplicate keys and trailing tokens are all rejected with an {@link ApiException}
 * that names the field.
 */
public final class AdminJson {
    private final ObjectMapper mapper;
    private final ObjectReader definitionReader;
    private final ObjectReader trafficReader;

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
        this.trafficReader = built.readerFor(new TypeReference<List<TrafficDocument>>() {
        });
    }

    /** Parses a request body into the definition it asks for; the buffer is read, not released. */
    public ServiceDefinition readDefinition(ByteBuf body) {
        DefinitionDocument document = read(body, definitionReader, JsonToken.START_OBJECT, "",
                "request body must be a JSON object");
        return document.toDefinition();
    }

    /**
     * Parses the body of {@code PUT .../traffic}, a JSON array of entries; errors name the entry as
     * {@code traffic[1].percent}, as in a definition. The buffer is read, not released.
     */
    public List<TrafficTarget> readTraffic(ByteBuf body) {
        List<TrafficDocument> entries = read(body, trafficReader, JsonToken.START_ARRAY, "traffic",
                "request body must be a JSON array of traffic entries, e.g. [{\"latest\": true, \"percent\": 100}]");
        Map<String, String> errors = new LinkedHashMap<>();
        List<TrafficTarget> targets = DefinitionDocument.targets(entries, errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalidDefinition(errors);
        }
        return targets;
    }

    /**
     * Reads one JSON value that must start with {@code first}; field errors are named with {@code prefix} before
     * their path.
     */
    private <T> T read(ByteBuf body, ObjectReader reader, JsonToken first, String prefix, String wrongShape) {
        if (!body.isReadable()) {
            throw ApiException.malformed("request body is empty; expected " + expected(first));
        }
        try (InputStream in = new ByteBufInputStream(body.duplicate());
             JsonParser parser = mapper.createParser(in)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw ApiException.malformed("request body is empty; expected " + expected(first));
            }
            if (token != first) {
                throw ApiException.malformed(wrongShape);
            }
            T value = reader.readValue(parser);
            if (parser.nextToken() != null) {
                throw ApiException.malformed("unexpected data after the JSON " + (first == JsonToken.START_ARRAY
                        ? "array" : "object") + " (line " + parser.currentLocation().getLineNr() + ", column "
                        + parser.currentLocation().getColumnNr() + ")");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.invalidDefinition(Map.of(path(prefix, e), "is not a known field"));
        } catch (JsonMappingException e) {
            if (e.getPath().isEmpty()) {
                throw ApiException.malformed(describe(e));
            }
            String problem = e instanceof MismatchedInputException m ? expectation(m.getTargetType()) : describe(e);
            throw ApiException.invalidDefinition(Map.of(path(prefix, e), problem));
        } catch (JacksonException e) {
            throw ApiException.malformed(describe(e));
        } catch (IOException e) {
            throw ApiException.malformed("cannot read the request body: " + e.getMessage());
        }
    }

    private static String expected(JsonToken first) {
        return first == JsonToken.START_ARRAY ? "a JSON array" : "a JSON object";
    }

    public byte[] writeDefinition(RegisteredService service) {
        return write(DefinitionDocument.of(service));
    }

    public byte[] writeDefinitions(List<RegisteredService> services) {
        return write(services.stream().map(DefinitionDocument::of).toList());
    }

    /** One revision; {@code instances} counts the instances that run it, {@code now} is the time of the answer. */
    public byte[] writeRevision(RegisteredService service, Revision revision, long instances, Instant now) {
        return write(RevisionDocument.of(service, revision, instances, now));
    }

    /** Every revision of {@code service}, newest first; {@code instances} maps revision names to instance counts. */
    public byte[] writeRevisions(RegisteredService service, Map<String, Long> instances, Instant now) {
        return write(service.revisionsNewestFirst().stream()
                .map(r -> RevisionDocument.of(service, r, instances.getOrDefault(r.name(), 0L), now))
                .toList());
    }

    /** {@code GET /cluster}'s answer. */
    public byte[] writeCluster(ClusterSnapshot cluster) {
        return write(ClusterDocument.of(cluster));
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

    /** The field's path as the API names fields: {@code env.KEY}, {@code traffic[1].percent}. */
    private static String path(String prefix, JsonMappingException e) {
        StringBuilder path = new StringBuilder(prefix);
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
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
        if (target == Boolean.class || target == boolean.class) {
            return "must be true or false";
        }
        if (Map.class.isAssignableFrom(target)) {
            return "must be an object of string values";
        }
        if (List.class.isAssignableFrom(target)) {
            return "must be an array";
        }
        if (target == TrafficDocument.class) {
            return "must be an object";
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
