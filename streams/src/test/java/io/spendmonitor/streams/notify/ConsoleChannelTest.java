package io.spendmonitor.streams.notify;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleChannelTest {
    @Test
    void printsOneLinePerTransition() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleChannel console = new ConsoleChannel(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        console.deliver(SampleAlerts.idle("ml", "vllm-llama"));
        console.deliver(SampleAlerts.cheaper("search", "RESOLVED"));

        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).isEqualTo("[alert] 🔥 FIRING: Idle GPU capacity · team ml · vllm-llama · ml's deployment"
                + " vllm-llama is idle: 12% GPU utilization for 15 min, $2.11/h of idle GPUs · window ending 2026-03-02 10:15 UTC");
        assertThat(lines[1]).startsWith("[alert] ✅ RESOLVED: Self-hosting would be cheaper than the API · team search");
    }
}
