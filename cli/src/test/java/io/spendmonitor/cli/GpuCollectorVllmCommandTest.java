package io.spendmonitor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gpu-collector --vllm-url ... --once --dry-run}: two scrapes an interval apart, the delta on the JSON lines. */
class GpuCollectorVllmCommandTest {
    private static final String LABELS = "{model_name=\"meta-llama/Llama-3.1-8B-Instruct\",engine=\"0\"}";
    private static final List<String> PAGES = List.of(
            "# TYPE vllm:prompt_tokens_total counter\nvllm:prompt_tokens_total" + LABELS + " 1000.0\n"
                    + "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total" + LABELS + " 500.0\n",
            "# TYPE vllm:prompt_tokens_total counter\nvllm:prompt_tokens_total" + LABELS + " 4000.0\n"
                    + "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total" + LABELS + " 2100.0\n");

    @TempDir
    Path dir;

    @Test
    void onceTakesTwoScrapesAndPrintsTheDelta() throws Exception {
        Path smi = dir.resolve("nvidia-smi");
        try (InputStream in = getClass().getResourceAsStream("/gpu-collector/nvidia-smi-h100x2.sh")) {
            Files.write(smi, in.readAllBytes());
        }
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwx------"));
        AtomicInteger scrapes = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = PAGES.get(Math.min(scrapes.getAndIncrement(), PAGES.size() - 1)).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            StringWriter out = new StringWriter();
            CommandLine cli = SpendMonitorCli.newCommandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(new StringWriter(), true));
            int code = cli.execute("gpu-collector", "--nvidia-smi", smi.toString(), "--team", "search", "--deployment", "vllm-llama-8b",
                    "--vllm-url", "http://127.0.0.1:" + server.getAddress().getPort() + "/metrics", "--interval", "1s", "--once", "--dry-run");
            assertThat(code).isZero();
            assertThat(scrapes.get()).isEqualTo(2);
            List<String> lines = out.toString().lines().toList();
            assertThat(lines).hasSize(2);
            ObjectMapper json = new ObjectMapper();
            JsonNode first = json.readTree(lines.get(0));
            assertThat(first.get("prompt_tokens").asLong()).isEqualTo(3000);     // 4000 - 1000
            assertThat(first.get("generation_tokens").asLong()).isEqualTo(1600); // 2100 - 500
            assertThat(first.has("prefix_cache_queries")).isFalse();             // not exported by this server
            JsonNode second = json.readTree(lines.get(1));
            assertThat(second.get("prompt_tokens").asLong()).isZero();
            assertThat(second.get("deployment").asText()).isEqualTo("vllm-llama-8b");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aVllmUrlNeedsADeployment() {
        CommandLine cli = SpendMonitorCli.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        int code = cli.execute("gpu-collector", "--team", "search", "--vllm-url", "http://127.0.0.1:1/metrics", "--once", "--dry-run");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("name the deployment it serves");
    }
}
