package io.spendmonitor.streams.notify;

import io.spendmonitor.avro.SpendAlert;
import io.spendmonitor.streams.cost.UsdFormat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a transition means, in words for people: the headline, the numbers with labels that fit
 * the alert type, and one suggestion. Shared by the Slack, console and PagerDuty channels; pure.
 */
final class AlertWording {
    static final String FIRING = "FIRING";
    static final String RESOLVED = "RESOLVED";
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** A labelled number, e.g. ("Savings", "$1.36/h"). */
    record Figure(String label, String value) {
    }

    private AlertWording() {
    }

    static String emoji(String state) {
        return switch (state) {
            case FIRING -> "🔥";
            case RESOLVED -> "✅";
            default -> "ℹ️";
        };
    }

    static String typeInWords(String type) {
        return switch (type) {
            case "SELF_HOSTING_CHEAPER" -> "Self-hosting would be cheaper than the API";
            case "SELF_HOSTING_DEARER" -> "Self-hosting costs more than the API";
            case "IDLE_CAPACITY" -> "Idle GPU capacity";
            case "BUDGET" -> "Budget threshold";
            default -> type;
        };
    }

    /** {@code 🔥 FIRING: Idle GPU capacity}. */
    static String headline(SpendAlert alert) {
        return emoji(alert.getState()) + " " + alert.getState() + ": " + typeInWords(alert.getType());
    }

    /** {@code 2026-03-02 10:15 UTC}. */
    static String windowEnd(SpendAlert alert) {
        return MINUTE.format(alert.getWindowEnd());
    }

    /** The numbers the transition carries, labelled for its type; absent ones are left out. */
    static List<Figure> figures(SpendAlert alert) {
        List<Figure> figures = new ArrayList<>();
        String type = alert.getType();
        Map<String, String> details = alert.getDetails();
        String minutes = details == null ? null : details.get("minutes");
        String over = minutes == null ? "" : " over " + minutes + " min";
        if (alert.getRatio() != null) {
            double ratio = alert.getRatio();
            switch (type) {
                // for idle capacity the topology puts the GPU utilization in the ratio field
                case "IDLE_CAPACITY" -> figures.add(new Figure("GPU utilization", percent(ratio)));
                case "SELF_HOSTING_CHEAPER" -> figures.add(new Figure("API cost ÷ self-hosted cost", times(ratio)));
                case "SELF_HOSTING_DEARER" -> figures.add(new Figure("Self-hosted cost ÷ API price", times(ratio)));
                default -> figures.add(new Figure("Ratio", times(ratio)));
            }
        }
        if (alert.getActualUsd() != null) {
            String label = switch (type) {
                case "SELF_HOSTING_CHEAPER" -> "API spend";
                case "SELF_HOSTING_DEARER" -> "Self-hosted GPU cost";
                default -> "Actual cost";
            };
            figures.add(new Figure(label, UsdFormat.usd(alert.getActualUsd()) + over));
        }
        if (alert.getCounterfactualUsd() != null) {
            String label = switch (type) {
                case "SELF_HOSTING_CHEAPER" -> "Self-hosted estimate";
                case "SELF_HOSTING_DEARER" -> "API price of the same tokens";
                default -> "Counterfactual cost";
            };
            figures.add(new Figure(label, UsdFormat.usd(alert.getCounterfactualUsd()) + over));
        }
        if (alert.getSavingsUsdPerHour() != null) {
            figures.add(new Figure("Savings if switched", UsdFormat.usd(alert.getSavingsUsdPerHour()) + "/h"));
        }
        if (alert.getIdleUsdPerHour() != null) {
            figures.add(new Figure("Idle GPU cost", UsdFormat.usd(alert.getIdleUsdPerHour()) + "/h"));
        }
        if (alert.getSpendUsd() != null) {
            figures.add(new Figure("Spend", UsdFormat.usd(alert.getSpendUsd())));
        }
        if (alert.getBudgetUsd() != null) {
            figures.add(new Figure("Budget", UsdFormat.usd(alert.getBudgetUsd())));
            if (alert.getSpendUsd() != null && alert.getBudgetUsd().signum() > 0) {
                BigDecimal used = alert.getSpendUsd().multiply(BigDecimal.valueOf(100))
                        .divide(alert.getBudgetUsd(), MathContext.DECIMAL64).setScale(0, RoundingMode.DOWN);
                figures.add(new Figure("Used", used.toPlainString() + "%"));
            }
        }
        return figures;
    }

    /** One thing a person can do about it. */
    static String suggestion(SpendAlert alert) {
        if (!FIRING.equals(alert.getState())) {
            return "Nothing to do: the condition has cleared.";
        }
        Map<String, String> d = alert.getDetails() == null ? Map.of() : alert.getDetails();
        String subject = alert.getSubject();
        return switch (alert.getType()) {
            case "SELF_HOSTING_CHEAPER" -> d.containsKey("api_model") && d.containsKey("profile")
                    ? "Consider moving " + d.get("api_model") + " traffic to a self-hosted " + d.get("profile")
                    + " replica" + (d.containsKey("gpu_model") ? " on " + gpus(d) + d.get("gpu_model") : "") + "."
                    : "Consider moving " + subject + " traffic to a self-hosted replica.";
            case "SELF_HOSTING_DEARER" -> d.containsKey("api_model") && d.containsKey("profile")
                    ? "Consider sending " + d.get("profile") + " traffic to " + d.get("api_model")
                    + " and scaling the self-hosted replicas down."
                    : "Consider sending " + subject + " traffic to the API and scaling the replicas down.";
            case "IDLE_CAPACITY" -> "Scale down or share " + subject + ", or route more traffic to it.";
            case "BUDGET" -> "Check " + alert.getTeam() + "'s biggest models and applications on the dashboard,"
                    + " or raise the budget if this spend is expected.";
            default -> "See the dashboard.";
        };
    }

    /** The dashboard link for a team: {@code {team}} in the template is replaced by the URL-encoded team. */
    static String dashboardLink(String template, String team) {
        return template.replace("{team}", URLEncoder.encode(team, StandardCharsets.UTF_8));
    }

    private static String gpus(Map<String, String> details) {
        String gpus = details.get("gpus");
        return gpus == null ? "" : gpus + "x ";
    }

    private static String times(double ratio) {
        return Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2fx", ratio) : "n/a";
    }

    private static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.0f%%", fraction * 100) : "n/a";
    }
}
