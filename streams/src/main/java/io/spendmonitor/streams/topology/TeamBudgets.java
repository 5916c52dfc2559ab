package io.spendmonitor.streams.topology;

import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.schemas.BudgetKeys;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A team's budgets in the {@code team-budgets} store, read the same way by the evaluate node, the
 * query API and the metrics: the team's own budget under its key, its label budgets under
 * {@link BudgetKeys#labelPrefix} (see {@link BudgetKeys}).
 */
public final class TeamBudgets {
    /** Label budgets a team may have in force; more are ignored (the first by label, in key order). */
    public static final int MAX_LABEL_BUDGETS = 100;

    private TeamBudgets() {
    }

    /** The team's own budget, or null; a label budget written under the team's key is not the team's. */
    public static TeamBudget own(ReadOnlyKeyValueStore<String, TeamBudget> store, String team) {
        TeamBudget b = store.get(team);
        return b != null && BudgetKeys.isTeamBudget(b) ? b : null;
    }

    /**
     * The team's label budgets by label ({@code customer=acme}), in key order, at most
     * {@link #MAX_LABEL_BUDGETS}; a record of another team or with a label of several entries is skipped.
     */
    public static Map<String, TeamBudget> labels(ReadOnlyKeyValueStore<String, TeamBudget> store, String team) {
        Map<String, TeamBudget> result = new LinkedHashMap<>();
        try (KeyValueIterator<String, TeamBudget> it = store.prefixScan(BudgetKeys.labelPrefix(team), new StringSerializer())) {
            while (it.hasNext() && result.size() < MAX_LABEL_BUDGETS) {
                TeamBudget b = it.next().value;
                if (b == null || !team.equals(b.getTeam())) {
                    continue;
                }
                Map.Entry<String, String> label;
                try {
                    label = BudgetKeys.label(b);
                } catch (IllegalArgumentException e) {
                    continue; // a label of several entries: publish refuses it; written by hand, it is ignored
                }
                if (label != null) {
                    result.put(label.getKey() + "=" + label.getValue(), b);
                }
            }
        }
        return result;
    }
}
