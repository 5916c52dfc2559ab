package io.spendmonitor.streams.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.streams.cost.BreakEven;

/** Test access to how {@code /api/teams/{team}} writes a break-even's throughput. */
public final class ThroughputViewAccess {
    private ThroughputViewAccess() {
    }

    public static String json(BreakEven.Throughput t) {
        try {
            return new ObjectMapper().writeValueAsString(TeamQueries.throughput(t));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
