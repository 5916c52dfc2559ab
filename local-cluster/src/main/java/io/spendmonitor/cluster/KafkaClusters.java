package io.spendmonitor.cluster;

import java.util.Locale;

/**
 * Starts the right {@link KafkaCluster}: Testcontainers when a Docker engine is available, the embedded
 * {@link LocalCluster} otherwise. System property or environment variable {@value #CHOICE}
 * ({@code embedded} or {@code testcontainers}) forces one.
 */
public final class KafkaClusters {

    public static final String CHOICE = "SPEND_CLUSTER";

    private KafkaClusters() {
    }

    public static KafkaCluster start() {
        return ContainerCluster.KIND.equals(chosenKind()) ? ContainerCluster.start() : LocalCluster.start();
    }

    /** {@code "embedded"} or {@code "testcontainers"}: what {@link #start()} would start. */
    public static String chosenKind() {
        String forced = System.getProperty(CHOICE);
        if (forced == null || forced.isBlank()) {
            forced = System.getenv(CHOICE);
        }
        if (forced != null && !forced.isBlank()) {
            String kind = forced.trim().toLowerCase(Locale.ROOT);
            if (!kind.equals(LocalCluster.KIND) && !kind.equals(ContainerCluster.KIND)) {
                throw new IllegalArgumentException(CHOICE + "=" + forced + ": expected "
                        + LocalCluster.KIND + " or " + ContainerCluster.KIND);
            }
            return kind;
        }
        return dockerAvailable() ? ContainerCluster.KIND : LocalCluster.KIND;
    }

    private static boolean dockerAvailable() {
        try {
            return ContainerCluster.dockerAvailable();
        } catch (LinkageError testcontainersMissing) {
            return false;
        }
    }
}
