package io.spendmonitor.producers.simulator;

import java.util.Optional;

/** Where a running simulation sends its events: Kafka, or a list in tests. */
interface EventSink extends AutoCloseable {
    /** Sends one event; may block while the destination catches up. Throws when sending cannot go on. */
    void send(SimulatedEvent event);

    /** Blocks until every event sent so far is acknowledged or failed. */
    void flush();

    /** Events the destination acknowledged. */
    long acknowledged();

    /** Events whose delivery failed. */
    long failed();

    /** Why the first failed delivery failed. */
    Optional<String> firstFailure();

    @Override
    void close();
}
