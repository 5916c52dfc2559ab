package io.spendmonitor.streams.notify;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NotifierConfigTest {
    private static final String SLACK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX";

    @Test
    void defaults() {
        NotifierConfig config = NotifierConfig.fromConfig(Map.of(
                "application.id", "spend-prod",
                "bootstrap.servers", "kafka:9092",
                "security.protocol", "SASL_SSL",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required;",
                "processing.guarantee", "exactly_once_v2",
                "schema.registry.url", "http://registry:8081",
                NotifierConfig.SLACK_URL, SLACK));

        assertThat(config.channelNames()).containsExactly("slack");
        assertThat(config.groupId()).isEqualTo("spend-prod-notifier");
        assertThat(config.pagerDutyUrl()).isEqualTo(URI.create("https://events.pagerduty.com/v2/enqueue"));
        assertThat(config.retryPolicy()).isEqualTo(RetryPolicy.DEFAULT);
        assertThat(config.httpConnectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.httpRequestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.routes().channelsFor("ads", "BUDGET", config.channelNames())).containsExactly("slack");
        assertThat(config.consumerProperties())
                .containsEntry("group.id", "spend-prod-notifier")
                .containsEntry("enable.auto.commit", false)
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("auto.offset.reset", "latest")
                .containsEntry("bootstrap.servers", "kafka:9092")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsKey("sasl.jaas.config")
                .doesNotContainKeys("processing.guarantee", "schema.registry.url", "application.id");
        assertThat(NotifierConfig.fromConfig(Map.of(NotifierConfig.CONSOLE, "true")).groupId()).isEqualTo("spend-monitor-notifier");
        assertThat(NotifierConfig.fromConfig(Map.of()).hasChannels()).isFalse();
    }

    @Test
    void everySettingIsRead() {
        Map<String, Object> map = new HashMap<>();
        map.put(NotifierConfig.SLACK_URL, SLACK);
        map.put(NotifierConfig.WEBHOOK_URL, "https://ops.example.com/hooks/spend?token=abc");
        map.put(NotifierConfig.WEBHOOK_SECRET, "webhook-secret");
        map.put(NotifierConfig.PAGERDUTY_ROUTING_KEY, "pd-routing-key");
        map.put(NotifierConfig.PAGERDUTY_URL, "http://127.0.0.1:9999/v2/enqueue");
        map.put(NotifierConfig.CONSOLE, true);
        map.put(NotifierConfig.DASHBOARD_URL, "https://grafana.example.com/d/spend?var-team={team}");
        map.put(NotifierConfig.ROUTES, "{\"routes\":[{\"type\":\"BUDGET\",\"channels\":[\"console\"]}]}");
        map.put(NotifierConfig.GROUP_ID, "notifier-a");
        map.put(NotifierConfig.RETRY_INITIAL_BACKOFF, "100");
        map.put(NotifierConfig.RETRY_MAX_BACKOFF, "PT2S");
        map.put(NotifierConfig.RETRY_MAX_ATTEMPTS, "4");
        map.put(NotifierConfig.RETRY_MAX_AGE, "PT1M");
        map.put(NotifierConfig.CLOSE_TIMEOUT, "PT3S");
        map.put(NotifierConfig.DEDUPE_SIZE, "50");
        map.put(NotifierConfig.MAX_PENDING, "7");
        map.put(NotifierConfig.CONSUMER_PREFIX + "auto.offset.reset", "earliest");
        NotifierConfig config = NotifierConfig.fromConfig(map);

        assertThat(config.channelNames()).containsExactly("slack", "webhook", "pagerduty", "console");
        assertThat(config.pagerDutyUrl()).isEqualTo(URI.create("http://127.0.0.1:9999/v2/enqueue"));
        assertThat(config.retryPolicy()).isEqualTo(new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(2), 4, Duration.ofMinutes(1)));
        assertThat(config.closeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.dedupeSize()).isEqualTo(50);
        assertThat(config.maxPending()).isEqualTo(7);
        assertThat(config.groupId()).isEqualTo("notifier-a");
        assertThat(config.routes().channelsFor("ads", "BUDGET", config.channelNames())).containsExactly("console");
        assertThat(config.consumerProperties()).containsEntry("auto.offset.reset", "earliest").containsEntry("group.id", "notifier-a");
        // no secret, no full URL
        assertThat(config.toString())
                .contains("slack=https://hooks.slack.com", "webhook=https://ops.example.com", "pagerduty=http://127.0.0.1:9999", "console")
                .doesNotContain("XXXXXXXX", "token=abc", "webhook-secret", "pd-routing-key", "/services/");
    }

    @Test
    void badSettingsAreClearErrorsThatShowNoSecret() {
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.SLACK_URL, "hooks.slack.com/services/T0/B0/SECRETPART")))
                .hasMessage("'spend.notify.slack.url' must be an absolute http:// or https:// URL (the value is not shown: it may hold a secret)");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.SLACK_URL, "https://hooks slack.com/SECRETPART")))
                .hasMessageStartingWith("'spend.notify.slack.url' is not a valid URL").message().doesNotContain("SECRETPART");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.WEBHOOK_URL, "https://ops.example.com/h")))
                .hasMessageContaining("'spend.notify.webhook.secret' is not");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.CONSOLE, "yes")))
                .hasMessage("'spend.notify.console' must be true or false, got 'yes'");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of("spend.notify.slack.ur", SLACK)))
                .hasMessageStartingWith("unknown setting 'spend.notify.slack.ur'");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.CONSOLE, "true",
                NotifierConfig.ROUTES, "{\"routes\":[{\"channels\":[\"pagerduty\"]}]}")))
                .hasMessageContaining("channel 'pagerduty' is not configured (spend.notify.pagerduty.routing-key is not set)");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.CONSOLE, "true",
                NotifierConfig.CONSUMER_PREFIX + "enable.auto.commit", "true")))
                .hasMessageContaining("commits offsets itself, after delivery");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.RETRY_MAX_BACKOFF, "PT0.1S")))
                .hasMessageContaining("retry.*': the maximum backoff (PT0.1S) must be at least the initial one (PT0.5S)");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.RETRY_MAX_AGE, "ten minutes")))
                .hasMessageStartingWith("'spend.notify.retry.max-age' must be a positive duration");
        assertThatThrownBy(() -> NotifierConfig.fromConfig(Map.of(NotifierConfig.DASHBOARD_URL, "grafana/d/spend")))
                .hasMessage("'spend.notify.dashboard-url' must be an absolute http:// or https:// URL, got 'grafana/d/spend'");
    }

    @Test
    void createRefusesAConfigWithoutChannels() {
        assertThatThrownBy(() -> AlertNotifier.create(Map.of("schema.registry.url", "http://localhost:1"),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()))
                .hasMessageStartingWith("no alert channel is configured");
    }
}
