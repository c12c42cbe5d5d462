package cloud.cless.proxy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every admin-API client subcommand shares: where the API is, the token, and the output form. */
public final class AdminOptions {
    static final String TOKEN_FILE = "admin.token";

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--admin-url", paramLabel = "URL", defaultValue = "${env:CLESS_ADMIN_URL:-http://127.0.0.1:1323}",
            description = "Address of the admin API (env CLESS_ADMIN_URL; default: ${DEFAULT-VALUE}).")
    String adminUrl;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:CLESS_ADMIN_TOKEN}",
            showDefaultValue = Visibility.NEVER,
            description = "Bearer token of the admin API (env CLESS_ADMIN_TOKEN; default: <data-dir>/admin.token).")
    String token;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:CLESS_DATA_DIR:-./cless-data}",
            description = "Data directory of cless serve, read for admin.token (env CLESS_DATA_DIR; "
                    + "default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** A client for the configured admin API; a malformed URL is a usage error (exit 2). */
    AdminClient client() {
        return new AdminClient(adminUri(), resolveToken(), mapper);
    }

    ObjectMapper mapper() {
        return mapper;
    }

    boolean json() {
        return json;
    }

    PrintWriter out() {
        return command.commandLine().getOut();
    }

    /** Prints an answer the way the user asked: as the API's JSON ({@code --json}), or by {@code table}. */
    void print(JsonNode answer, BiConsumer<JsonNode, PrintWriter> table) {
        if (json) {
            printJson(answer);
        } else {
            table.accept(answer, out());
        }
    }

    /** Prints a JSON answer as the API sent it, indented. */
    void printJson(JsonNode node) {
        try {
            out().println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree", e);
        }
        out().flush();
    }

    private URI adminUri() {
        URI uri;
        try {
            uri = new URI(adminUrl.strip());
        } catch (java.net.URISyntaxException e) {
            throw new ParameterException(command.commandLine(), "--admin-url '" + adminUrl + "' is not a URL: "
                    + e.getReason());
        }
        boolean http = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
        if (!http || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ParameterException(command.commandLine(), "--admin-url '" + adminUrl
                    + "' must be an http(s) address such as http://127.0.0.1:1323");
        }
        return uri;
    }

    // The same precedence as cless serve: the explicit token, else the one serve keeps in its data directory.
    private String resolveToken() {
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        Path file = dataDir.resolve(TOKEN_FILE);
        String stored;
        try {
            stored = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new AdminClientException("no admin token: give --token or CLESS_ADMIN_TOKEN, or point --data-dir "
                    + "at the data directory of cless serve (" + file + " does not exist)");
        } catch (IOException e) {
            throw new AdminClientException("cannot read the admin token from " + file + ": " + e.getMessage(), e);
        }
        if (stored.isEmpty()) {
            throw new AdminClientException("the admin token file " + file + " is empty");
        }
        return stored;
    }
}
