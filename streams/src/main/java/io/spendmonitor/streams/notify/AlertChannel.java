package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

/**
 * One place alert transitions go (Slack, a webhook, PagerDuty, the console). A channel makes one
 * attempt per call and says how it went; retries, ordering, de-duplication and metrics are the
 * notifier's. Implementations are called from one thread at a time (the channel's own worker).
 */
public interface AlertChannel {

    /** The name used in routing and in the {@code channel} metric label, e.g. {@code slack}. */
    String name();

    /**
     * Makes one delivery attempt. Never throws for a failed delivery: the outcome says whether
     * to retry. {@link InterruptedException} means the notifier is shutting down; the attempt's
     * fate is unknown and the transition stays uncommitted.
     */
    DeliveryOutcome deliver(SpendAlert alert) throws InterruptedException;
}
