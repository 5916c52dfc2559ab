package io.spendmonitor.producers.jsonl;

import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;

/** The input topic an event goes to; its name comes from {@link Topics} (and so from the topic prefix). */
public enum Destination {
    /** {@code llm.token-usage}, keyed by team. */
    TOKEN_USAGE,
    /** {@code gpu.utilization}, keyed by team. */
    GPU_UTILIZATION,
    /** {@code spend.price-catalog} (compacted), keyed by {@link io.spendmonitor.schemas.PriceKeys}. */
    PRICE_CATALOG,
    /** {@code spend.team-budgets} (compacted), keyed by team. */
    TEAM_BUDGETS;

    public TopicSpec<String, ?> topicIn(Topics topics) {
        return switch (this) {
            case TOKEN_USAGE -> topics.tokenUsage();
            case GPU_UTILIZATION -> topics.gpuUtilization();
            case PRICE_CATALOG -> topics.priceCatalog();
            case TEAM_BUDGETS -> topics.teamBudgets();
        };
    }
}
