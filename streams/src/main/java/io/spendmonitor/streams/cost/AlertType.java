package io.spendmonitor.streams.cost;

/** The alert types of DESIGN.md. */
public enum AlertType {
    SELF_HOSTING_CHEAPER, SELF_HOSTING_DEARER, IDLE_CAPACITY, BUDGET, SPEND_SPIKE
}
