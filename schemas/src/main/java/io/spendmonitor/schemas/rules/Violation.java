package io.spendmonitor.schemas.rules;

import java.util.Objects;

/** One broken rule: the stable {@link RejectReason} and a message for people that names the field. */
public record Violation(RejectReason reason, String message) {
    public Violation {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
