package io.spendmonitor.schemas;

import io.spendmonitor.avro.TeamBudget;

import java.util.Map;

/**
 * Keys of the compacted {@code spend.team-budgets} topic. A team's own budget is keyed by the team;
 * a budget of one attribution label (v2, {@code "label":{"customer":"acme"}}) by the team, the
 * unit separator U+001F and {@code key=value}. Names never hold control characters (the event
 * rules refuse them), so no team's key can be taken for another's label budget, and all budgets
 * of a team share the prefix {@link #labelPrefix}.
 */
public final class BudgetKeys {
    /** U+001F, INFORMATION SEPARATOR ONE: between the team and the label of a label budget's key. */
    public static final char SEPARATOR = '\u001F';

    private BudgetKeys() {
    }

    public static String key(TeamBudget budget) {
        Map.Entry<String, String> label = label(budget);
        return label == null ? budget.getTeam() : budget.getTeam() + SEPARATOR + label.getKey() + "=" + label.getValue();
    }

    /** The prefix every label budget key of {@code team} starts with. */
    public static String labelPrefix(String team) {
        return team + SEPARATOR;
    }

    /** Whether the budget is a team's own (no label). */
    public static boolean isTeamBudget(TeamBudget budget) {
        return budget.getLabel() == null || budget.getLabel().isEmpty();
    }

    /** The budget's one label, or null for a team budget; a label of more than one entry is refused. */
    public static Map.Entry<String, String> label(TeamBudget budget) {
        Map<String, String> label = budget.getLabel();
        if (label == null || label.isEmpty()) {
            return null;
        }
        if (label.size() != 1) {
            throw new IllegalArgumentException("a budget names one label (e.g. {\"customer\":\"acme\"}), got " + label.size());
        }
        return Map.entry(label.keySet().iterator().next(), label.values().iterator().next());
    }
}
