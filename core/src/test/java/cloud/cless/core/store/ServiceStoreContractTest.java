package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ServiceDefinition;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link ServiceStore} must have; a subclass supplies the store. */
public abstract class ServiceStoreContractTest {

    protected ServiceStore store;

    /** A new, empty store. */
    protected abstract ServiceStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected static ServiceDefinition service(String name) {
        return ServiceDefinition.builder(name).imageName("cless-test/" + name).imageTag("latest").port(8080)
                .host(name + ".localhost").minInstances(0).maxInstances(1).concurrency(0).idleTimeoutSeconds(300)
                .idleAction(IdleAction.STOP).startupTimeoutSeconds(30).build();
    }

    /** Every field set to a value that differs from the defaults. */
    protected static ServiceDefinition everyFieldSet(String name) {
        return ServiceDefinition.builder(name).imageName("registry.io:5000/team/" + name).imageTag("v1.2-rc")
                .upstream("127.0.0.1:9001").port(9000).host(name + ".example.com")
                .env(Map.of("GREETING", "hi", "EMPTY", "", "QUOTE", "say \"hi\"\\n\n\t"))
                .minInstances(2).maxInstances(7).concurrency(64).idleTimeoutSeconds(90)
                .idleAction(IdleAction.PAUSE).startupTimeoutSeconds(120).readinessPath("/healthz?x=1")
                .memoryMb(512).cpus(1.5).build();
    }

    @Test
    void emptyStoreListsNothing() {
        assertThat(store.list()).isEmpty();
        assertThat(store.get("nope")).isEmpty();
    }

    @Test
    void createThenGet() {
        ServiceDefinition hello = service("hello");
        store.create(hello);
        assertThat(store.get("hello")).contains(hello);
        assertThat(store.get("other")).isEmpty();
    }

    @Test
    void listIsSortedByName() {
        store.create(service("charlie"));
        store.create(service("alpha"));
        store.create(service("bravo"));
        store.create(service("a-1"));
        assertThat(store.list()).extracting(ServiceDefinition::name)
                .containsExactly("a-1", "alpha", "bravo", "charlie");
    }

    @Test
    void updateReplacesEveryField() {
        store.create(service("hello"));
        ServiceDefinition changed = everyFieldSet("hello");
        store.update(changed);
        assertThat(store.get("hello")).contains(changed);
        assertThat(store.list()).containsExactly(changed);
    }

    @Test
    void updateMayKeepItsOwnHost() {
        store.create(service("hello"));
        ServiceDefinition changed = service("hello").toBuilder().port(9999).build();
        store.update(changed);
        assertThat(store.get("hello")).contains(changed);
    }

    @Test
    void updateFreesTheOldHost() {
        store.create(service("hello"));
        store.update(service("hello").toBuilder().host("moved.localhost").build());
        store.create(service("other").toBuilder().host("hello.localhost").build());
        assertThat(store.list()).extracting(ServiceDefinition::host)
                .containsExactly("moved.localhost", "hello.localhost");
    }

    @Test
    void deleteRemoves() {
        store.create(service("hello"));
        store.create(service("other"));
        assertThat(store.delete("hello")).isTrue();
        assertThat(store.get("hello")).isEmpty();
        assertThat(store.list()).extracting(ServiceDefinition::name).containsExactly("other");
        store.create(service("hello"));
        assertThat(store.get("hello")).isPresent();
    }

    @Test
    void deleteOfMissingIsFalse() {
        assertThat(store.delete("nope")).isFalse();
        store.create(service("hello"));
        assertThat(store.delete("hello")).isTrue();
        assertThat(store.delete("hello")).isFalse();
    }

    @Test
    void duplicateNameIsRejected() {
        store.create(service("hello"));
        ServiceDefinition again = service("hello").toBuilder().host("elsewhere.localhost").build();
        assertThatThrownBy(() -> store.create(again))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("name"))
                .hasMessageContaining("hello");
        assertThat(store.get("hello")).contains(service("hello"));
    }

    @Test
    void duplicateHostIsRejectedOnCreate() {
        store.create(service("hello"));
        ServiceDefinition clash = service("other").toBuilder().host("hello.localhost").build();
        assertThatThrownBy(() -> store.create(clash))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("hello.localhost")
                .hasMessageContaining("'hello'");
        assertThat(store.get("other")).isEmpty();
    }

    @Test
    void duplicateHostIsRejectedOnUpdate() {
        store.create(service("hello"));
        store.create(service("other"));
        ServiceDefinition clash = service("other").toBuilder().host("hello.localhost").build();
        assertThatThrownBy(() -> store.update(clash))
                .isInstanceOfSatisfying(DuplicateServiceException.class,
                        e -> assertThat(e.field()).isEqualTo("host"))
                .hasMessageContaining("'hello'");
        assertThat(store.get("other")).contains(service("other"));
    }

    @Test
    void updateOfMissingNameFails() {
        assertThatThrownBy(() -> store.update(service("ghost")))
                .isInstanceOf(ServiceNotFoundException.class)
                .hasMessageContaining("ghost");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void envRoundTripsIncludingUnicode() {
        Map<String, String> env = Map.of(
                "PLAIN", "value",
                "EMPTY", "",
                "UNICODE", "grüße ☃ 日本語 😀",
                "JSONISH", "{\"a\": [1, 2]} \\ / \b\f\n\r\t",
                "CONTROL", "\u0001\u001f\u007f",
                "_lower_1", "x=y;z");
        ServiceDefinition def = service("hello").toBuilder().env(env).build();
        store.create(def);
        assertThat(store.get("hello").orElseThrow().env()).isEqualTo(env);
        assertThat(store.list().get(0).env()).isEqualTo(env);
    }

    @Test
    void emptyEnvRoundTrips() {
        store.create(service("hello"));
        assertThat(store.get("hello").orElseThrow().env()).isEmpty();
    }

    @Test
    void everyNullableFieldMayBeNull() {
        ServiceDefinition sparse = ServiceDefinition.builder("sparse").host("sparse.localhost").build();
        store.create(sparse);
        assertThat(store.get("sparse")).contains(sparse);
    }

    @Test
    void everyFieldIsKept() {
        ServiceDefinition full = everyFieldSet("full");
        store.create(full);
        assertThat(store.get("full")).contains(full);
    }
}
