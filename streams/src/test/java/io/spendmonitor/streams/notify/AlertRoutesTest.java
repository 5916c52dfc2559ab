package io.spendmonitor.streams.notify;

import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertRoutesTest {
    private static final List<String> ALL = List.of("slack", "webhook", "pagerduty");

    @Test
    void theExampleFileRoutesByTeamAndTypeFirstMatchWinning() throws URISyntaxException {
        Path file = Path.of(Objects.requireNonNull(getClass().getResource("/notify/routes.json")).toURI());
        AlertRoutes routes = AlertRoutes.load(file, ALL);

        assertThat(routes.channelsFor("search", "BUDGET", ALL)).containsExactly("slack");
        assertThat(routes.channelsFor("ads", "BUDGET", ALL)).containsExactly("slack");
        assertThat(routes.channelsFor("search", "SELF_HOSTING_CHEAPER", ALL)).containsExactly("slack", "pagerduty");
        assertThat(routes.channelsFor("search", "SELF_HOSTING_DEARER", ALL)).containsExactly("slack", "pagerduty");
        assertThat(routes.channelsFor("sandbox-7", "IDLE_CAPACITY", ALL)).isEmpty();
        assertThat(routes.channelsFor("load-test", "SELF_HOSTING_CHEAPER", ALL)).isEmpty();
        assertThat(routes.channelsFor("ads", "SELF_HOSTING_CHEAPER", ALL)).containsExactly("slack", "webhook");
    }

    @Test
    void withoutADefaultTheRestGoesToEveryChannel() {
        AlertRoutes routes = AlertRoutes.parse("{\"routes\":[{\"type\":\"BUDGET\",\"channels\":[\"webhook\"]}]}", "test", ALL);
        assertThat(routes.channelsFor("ads", "BUDGET", ALL)).containsExactly("webhook");
        assertThat(routes.channelsFor("ads", "IDLE_CAPACITY", ALL)).isEqualTo(ALL);
        assertThat(AlertRoutes.everyChannel().channelsFor("ads", "BUDGET", ALL)).isEqualTo(ALL);
    }

    @Test
    void badRoutesAreClearErrors() {
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\":[{\"type\":\"BUDGET\",\"channels\":[\"slak\"]}]}", "routes.json", ALL))
                .hasMessage("routes.json, route 1: unknown channel 'slak' (channels: slack, webhook, pagerduty, console)");
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\":[{\"channels\":[\"console\"]}]}", "routes.json", ALL))
                .hasMessage("routes.json, route 1: channel 'console' is not configured (spend.notify.console=true is not set)");
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\":[{\"type\":\"BUGDET\",\"channels\":[]}]}", "routes.json", ALL))
                .hasMessageStartingWith("routes.json, route 1: type pattern 'BUGDET' matches no alert type");
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\":[{\"teams\":\"search\",\"channels\":[]}]}", "routes.json", ALL))
                .hasMessage("routes.json, route 1: unknown key 'teams' (known: team, type, channels)");
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\":[{\"team\":\"search\"}]}", "routes.json", ALL))
                .hasMessageContaining("\"channels\" is missing");
        assertThatThrownBy(() -> AlertRoutes.parse("{\"routes\": [", "routes.json", ALL))
                .hasMessageStartingWith("routes.json is not valid JSON");
        assertThatThrownBy(() -> AlertRoutes.load(Path.of("/nonexistent/routes.json"), ALL))
                .hasMessageStartingWith("cannot read the routes file /nonexistent/routes.json");
    }

    @Test
    void globsMatchWholeNamesWithStarAndQuestionMark() {
        assertThat(AlertRoutes.glob("SELF_HOSTING_*").matcher("SELF_HOSTING_DEARER").matches()).isTrue();
        assertThat(AlertRoutes.glob("team-?").matcher("team-7").matches()).isTrue();
        assertThat(AlertRoutes.glob("team-?").matcher("team-77").matches()).isFalse();
        assertThat(AlertRoutes.glob("a.b").matcher("axb").matches()).isFalse();
        assertThat(AlertRoutes.glob("search").matcher("search-2").matches()).isFalse();
    }
}
