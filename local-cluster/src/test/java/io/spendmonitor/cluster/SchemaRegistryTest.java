package io.spendmonitor.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaClusterExtension.class)
class SchemaRegistryTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/vnd.schemaregistry.v1+json").GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listsSubjects(KafkaCluster cluster) throws Exception {
        HttpResponse<String> r = get(cluster.schemaRegistryUrl() + "/subjects");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().strip()).startsWith("[").endsWith("]");
    }

    @Test
    void globalCompatibilityIsBackward(KafkaCluster cluster) throws Exception {
        HttpResponse<String> r = get(cluster.schemaRegistryUrl() + "/config");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"BACKWARD\"");
    }
}
