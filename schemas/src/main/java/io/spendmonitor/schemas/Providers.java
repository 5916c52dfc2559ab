package io.spendmonitor.schemas;

/**
 * The provider name that marks a call served by one of the team's own deployments of an open
 * model, not by an API: such a call has no token price; its cost is its GPUs'.
 */
public final class Providers {
    public static final String SELF_HOSTED = "self-hosted";

    private Providers() {
    }

    public static boolean isSelfHosted(String provider) {
        return SELF_HOSTED.equals(provider);
    }
}
