package io.spendmonitor.producers.simulator;

import java.util.List;
import java.util.function.Function;

/** The scenarios {@code spend-monitor simulate} knows, by name. */
public final class Scenarios {
    /** A scenario's name, its one-line description, and whether it reads --teams and --rate. */
    public record Info(String name, String description, boolean usesTeamsAndRate) {
    }

    private record Entry(Info info, Function<ScenarioSettings, Scenario> factory) {
    }

    private static final List<Entry> ENTRIES = List.of(
            new Entry(new Info(CrossoverScenario.NAME, CrossoverScenario.DESCRIPTION, false), CrossoverScenario::new),
            new Entry(new Info(SteadyScenario.NAME, SteadyScenario.DESCRIPTION, true), SteadyScenario::new),
            new Entry(new Info(IdleGpusScenario.NAME, IdleGpusScenario.DESCRIPTION, false), IdleGpusScenario::new),
            new Entry(new Info(Seed2023Scenario.NAME, Seed2023Scenario.DESCRIPTION, false), Seed2023Scenario::new));

    private Scenarios() {
    }

    public static List<Info> all() {
        return ENTRIES.stream().map(Entry::info).toList();
    }

    public static List<String> names() {
        return ENTRIES.stream().map(e -> e.info().name()).toList();
    }

    /** @throws IllegalArgumentException for an unknown name, listing the known ones */
    public static Info info(String name) {
        return entry(name).info();
    }

    /** A new instance (with fresh random state) of the settings' scenario. */
    public static Scenario create(ScenarioSettings settings) {
        return entry(settings.scenario()).factory().apply(settings);
    }

    private static Entry entry(String name) {
        return ENTRIES.stream().filter(e -> e.info().name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown scenario '" + name + "'; known: "
                        + String.join(", ", names())));
    }
}
