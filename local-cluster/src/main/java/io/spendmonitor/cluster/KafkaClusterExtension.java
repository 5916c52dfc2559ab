package io.spendmonitor.cluster;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that injects a {@link KafkaCluster} (constructor, {@code @BeforeAll}, test method).
 * One cluster serves the whole test run: it lives in the root store, which closes it when the run ends.
 *
 * <pre>{@code
 * @ExtendWith(KafkaClusterExtension.class)
 * class MyTest {
 *     @Test void works(KafkaCluster cluster) { ... cluster.bootstrapServers() ... }
 * }
 * }</pre>
 */
public final class KafkaClusterExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaClusterExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return cluster(context);
    }

    /** The run's shared cluster, started on first use. */
    public static KafkaCluster cluster(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Shared.class, k -> Shared.start(), Shared.class)
                .cluster();
    }

    /** Holds the cluster, or why it did not start, so that a failed start is not retried by every class. */
    private static final class Shared implements AutoCloseable {
        private final KafkaCluster cluster;
        private final RuntimeException failure;

        private Shared(KafkaCluster cluster, RuntimeException failure) {
            this.cluster = cluster;
            this.failure = failure;
        }

        static Shared start() {
            try {
                KafkaCluster cluster = KafkaClusters.start();
                String prefix = LocalCluster.KIND.equals(cluster.kind()) ? "" : cluster.kind() + ": ";
                System.out.println("spend-monitor test cluster: " + prefix + cluster.describe());
                return new Shared(cluster, null);
            } catch (RuntimeException e) {
                return new Shared(null, e);
            }
        }

        KafkaCluster cluster() {
            if (failure != null) {
                throw new IllegalStateException("the shared test cluster failed to start: " + failure.getMessage(), failure);
            }
            return cluster;
        }

        @Override
        public void close() {
            if (cluster != null) {
                cluster.close();
            }
        }
    }
}
