package io.spendmonitor.streams.cost;

/** The provider name that marks a call served by a team's own deployment, not an API. */
public final class Provider {
    public static final String SELF_HOSTED = "self-hosted";

    private Provider() {
    }

    public static boolean isSelfHosted(String provider) {
        return SELF_HOSTED.equals(provider);
    }
}
