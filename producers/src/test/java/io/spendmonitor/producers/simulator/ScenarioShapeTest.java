package io.spendmonitor.producers.simulator;

import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.TokenUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every scenario promises: seeded, minute-bounded, monotone per team, schema-valid. */
class ScenarioShapeTest {
    private static final Instant START = Instant.parse("2026-03-02T09:00:00Z");

    static List<String> scenarios() {
        return Scenarios.names();
    }

    private static List<SimulatedEvent> run(ScenarioSettings settings, int minutes) {
        Scenario scenario = Scenarios.create(settings);
        List<SimulatedEvent> events = new ArrayList<>();
        for (long i = 0; i < minutes; i++) {
            Instant minuteStart = settings.start().plus(Duration.ofMinutes(i));
            List<SimulatedEvent> minute = scenario.minute(i, minuteStart);
            assertThat(minute).allSatisfy(e -> assertThat(e.timestamp())
                    .isAfterOrEqualTo(minuteStart).isBefore(minuteStart.plusSeconds(60)));
            events.addAll(minute);
        }
        return events;
    }

    private static ScenarioSettings settings(String scenario) {
        return ScenarioSettings.of(scenario).withStart(START).withTeams(10).withRate(100);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void theSameSeedGivesTheSameEventsAndAnotherSeedOthers(String name) {
        List<SimulatedEvent> first = run(settings(name), 10);
        assertThat(first).isNotEmpty();
        assertThat(run(settings(name), 10)).isEqualTo(first);
        assertThat(run(settings(name).withSeed(43), 10)).isNotEqualTo(first);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void eventsAreValidAndTimeOrderedPerTeamWithUniqueIds(String name) {
        List<SimulatedEvent> events = run(settings(name), 15);
        Map<String, Instant> lastPerTeam = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (SimulatedEvent e : events) {
            Instant last = lastPerTeam.put(e.team(), e.timestamp());
            if (last != null) {
                assertThat(e.timestamp()).as("time order of %s", e.team()).isAfterOrEqualTo(last);
            }
            if (e.value() instanceof TokenUsage u) {
                assertThat(ids.add(u.getEventId())).as("unique event_id").isTrue();
                assertThat(u.getTeam()).isEqualTo(e.team());
                assertThat(u.getInputTokens()).isPositive();
                assertThat(u.getOutputTokens()).isPositive();
                assertThat(u.getCachedInputTokens() + u.getCacheWriteInputTokens()).isLessThanOrEqualTo(u.getInputTokens());
                assertThat(u.getDeployment() != null).isEqualTo("self-hosted".equals(u.getProvider()));
                assertThat(u.getAttributes()).containsEntry("simulator", name);
                assertThat(u.getLatencyMs()).isPositive();
            } else {
                GpuUtilization g = e.gpuUtilization();
                assertThat(g.getIntervalSeconds()).isEqualTo(15.0);
                assertThat(g.getUtilization()).isBetween(0.0, 1.0);
                assertThat(g.getDeployment()).isNotBlank();
                assertThat(g.getModel()).isNotBlank();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void everyGpuReportsEveryFifteenSimulatedSeconds(String name) {
        Map<String, List<Instant>> byGpu = new HashMap<>();
        run(settings(name), 5).stream().filter(e -> !e.isTokenUsage()).map(SimulatedEvent::gpuUtilization)
                .forEach(g -> byGpu.computeIfAbsent(g.getNode() + "/" + g.getGpuId(), k -> new ArrayList<>()).add(g.getTimestamp()));
        if (name.equals(CrossoverScenario.NAME) || name.equals(IdleGpusScenario.NAME)) {
            assertThat(byGpu).containsOnlyKeys("gpu-research-01/0", "gpu-research-01/1");
        }
        byGpu.forEach((gpu, times) -> {
            assertThat(times).hasSize(5 * 4);
            for (int i = 1; i < times.size(); i++) {
                // 15 s apart, give or take the collector's jitter of a fraction of a second
                assertThat(Duration.between(times.get(i - 1), times.get(i)).toMillis()).isBetween(14_700L, 15_300L);
            }
        });
    }

    @Test
    void steadySharesTheRealTimeRateEvenlyOverTheTeams() {
        // 100 events per real second at 60x: a real second is a simulated minute, so 100 per simulated
        // minute, 10 for each of the 10 teams
        List<SimulatedEvent> events = run(settings(SteadyScenario.NAME), 3);
        Map<String, Long> perTeam = new HashMap<>();
        events.stream().filter(SimulatedEvent::isTokenUsage).forEach(e -> perTeam.merge(e.team(), 1L, Long::sum));
        assertThat(perTeam).hasSize(10).containsKeys("team-01", "team-10");
        assertThat(perTeam.values()).allSatisfy(n -> assertThat(n).isEqualTo(3 * 10L));
        assertThat(events.stream().filter(e -> !e.isTokenUsage()).map(SimulatedEvent::team).distinct())
                .containsExactlyInAnyOrder("team-05", "team-10");

        // the same real-time rate at 600x: ten times fewer events per simulated minute
        List<SimulatedEvent> faster = run(settings(SteadyScenario.NAME).withSpeed(600), 3);
        assertThat(faster.stream().filter(SimulatedEvent::isTokenUsage).count()).isEqualTo(3 * 10L);
    }

    @Test
    void steadyNamesTeamsWideEnoughToSort() {
        assertThat(SteadyScenario.teamName(0, 20)).isEqualTo("team-01");
        assertThat(SteadyScenario.teamName(99, 150)).isEqualTo("team-100");
        assertThat(SteadyScenario.teamName(6, 150)).isEqualTo("team-007");
    }

    @Test
    void idleGpusIsTheResearchTeamAlone() {
        Set<String> teams = new TreeSet<>();
        run(settings(IdleGpusScenario.NAME), 3).forEach(e -> teams.add(e.team()));
        assertThat(teams).containsExactly("research");
    }

    @Test
    void unknownScenariosAndBadSettingsAreRefused() {
        assertThatThrownBy(() -> Scenarios.create(ScenarioSettings.of("nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("crossover, steady, idle-gpus, seed-2023");
        assertThatThrownBy(() -> ScenarioSettings.of("steady").withSpeed(0)).hasMessageContaining("speed");
        assertThatThrownBy(() -> ScenarioSettings.of("steady").withTeams(0)).hasMessageContaining("teams");
        assertThatThrownBy(() -> ScenarioSettings.of("steady").withRate(-1)).hasMessageContaining("rate");
        assertThatThrownBy(() -> ScenarioSettings.of("steady").withDuration(Duration.ZERO)).hasMessageContaining("duration");
        assertThatThrownBy(() -> ScenarioSettings.of("steady").withStart(Instant.parse("2019-01-01T00:00:00Z")))
                .hasMessageContaining("2020");
    }

    @Test
    void theDefaultStartIsTwoHoursAgoOnAWholeMinute() {
        java.time.Clock clock = java.time.Clock.fixed(Instant.parse("2026-03-02T10:17:42.5Z"), java.time.ZoneOffset.UTC);
        assertThat(ScenarioSettings.of("crossover", clock).start()).isEqualTo(Instant.parse("2026-03-02T08:17:00Z"));
        assertThat(ScenarioSettings.of("crossover", clock).speed()).isEqualTo(60);
        assertThat(ScenarioSettings.of("crossover", clock).seed()).isEqualTo(42);
        assertThat(ScenarioSettings.of("crossover", clock).duration()).isNull();
    }
}
