package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;

import java.io.PrintStream;
import java.util.stream.Collectors;

/**
 * One line per transition on a {@link PrintStream} (the demo's terminal), e.g.
 * {@code [alert] 🔥 FIRING: Idle GPU capacity · team search · vllm-llama · search's deployment ... · window ending 2026-03-02 10:15 UTC}.
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
        String figures = AlertWording.figures(alert).stream()
                .map(f -> f.label() + " " + f.value())
                .collect(Collectors.joining(", "));
        return "[alert] " + AlertWording.headline(alert) + " · team " + alert.getTeam() + " · " + alert.getSubject()
                + " · " + alert.getSummary() + (figures.isEmpty() ? "" : " (" + figures + ")")
                + " · window ending " + AlertWording.windowEnd(alert);
    }
}
