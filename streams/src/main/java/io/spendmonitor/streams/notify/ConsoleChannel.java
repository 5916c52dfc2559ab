package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

import java.io.PrintStream;

/**
 * One line per transition on a {@link PrintStream} (the demo's terminal), e.g.
 * {@code [alert] 🔥 FIRING: Idle GPU capacity · team ml · vllm-llama · ml's deployment vllm-llama is idle: ... · window ending 2026-03-02 10:15 UTC}.
 */
public final class ConsoleChannel implements AlertChannel {
    public static final String NAME = "console";

    private final PrintStream out;

    public ConsoleChannel(PrintStream out) {
        this.out = out;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeliveryOutcome deliver(SpendAlert alert) {
        out.println(line(alert));
        return out.checkError() ? DeliveryOutcome.permanent("the console stream failed") : DeliveryOutcome.sent();
    }

    static String line(SpendAlert alert) {
        return "[alert] " + AlertWording.headline(alert) + " · team " + alert.getTeam() + " · " + alert.getSubject()
                + " · " + alert.getSummary() + " · window ending " + AlertWording.windowEnd(alert);
    }
}
