package io.spendmonitor.producers.simulator;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * What every stream of a scenario derives from the settings: a random generator per stream (seeded
 * from the seed and the stream's name, so adding a team does not change the others' events) and
 * event ids.
 *
 * <p>Event ids are name-based UUIDs of (scenario, seed, start, stream, sequence number): running the
 * same simulation again (same scenario, --seed and --start) produces the same ids, which the topology
 * counts once. A restarted run with an explicit --start therefore does not double-count what the
 * first run already published; the default start (two hours ago) makes every run new.
 */
final class ScenarioContext {
    private final String scenario;
    private final long seed;
    private final Instant start;
    private final Map<String, String> attributes;

    ScenarioContext(String scenario, ScenarioSettings settings) {
        this.scenario = scenario;
        this.seed = settings.seed();
        this.start = settings.start();
        this.attributes = Map.of("simulator", scenario);
    }

    String scenario() {
        return scenario;
    }

    Instant start() {
        return start;
    }

    Random random(String stream) {
        return new Random(mix(seed) ^ mix(stream.hashCode()));
    }

    /** The ids of one stream's calls, in order. */
    EventIds ids(String stream) {
        return new EventIds("spend-monitor-simulator|" + scenario + "|" + seed + "|" + start.toEpochMilli() + "|" + stream + "|");
    }

    /** Attributes on every simulated call, so simulated traffic is easy to tell apart. */
    Map<String, String> attributes() {
        return attributes;
    }

    /** SplitMix64's finalizer: nearby seeds give unrelated generators. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static final class EventIds {
        private final String prefix;
        private long next;

        private EventIds(String prefix) {
            this.prefix = prefix;
        }

        String next() {
            return UUID.nameUUIDFromBytes((prefix + next++).getBytes(StandardCharsets.UTF_8)).toString();
        }
    }
}
