package io.spendmonitor.producers.client;

/**
 * An event was dropped rather than block the caller: the stage {@link SpendPublisher#publish} returned
 * completes with it, and with {@link OverflowPolicy#THROW} {@code publish} throws it.
 */
public class EventDroppedException extends RuntimeException {
    private final DropReason reason;

    public EventDroppedException(DropReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public DropReason reason() {
        return reason;
    }
}
