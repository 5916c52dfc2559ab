package io.spendmonitor.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * A broker's SASL_SSL client listener: TLS with a PKCS12 keystore (see {@link TestCertificates}) and
 * SCRAM-SHA-512. No authorizer: an authenticated user may do anything, which is what the tests of
 * the clients' security settings need. The broker itself keeps talking PLAINTEXT on its own listener
 * (inter-broker, controller), so no broker credentials are needed to bootstrap SCRAM.
 *
 * @param keystore         the server's PKCS12 keystore
 * @param keystorePassword its store (and key) password
 */
public record SaslSsl(Path keystore, String keystorePassword) {
    public static final String LISTENER = "SASL_SSL";
    public static final String MECHANISM = "SCRAM-SHA-512";

    public SaslSsl {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(keystorePassword, "keystorePassword");
    }

    /** The listener with the server keystore of {@code pki}. */
    public static SaslSsl of(TestCertificates pki) {
        return new SaslSsl(pki.serverKeystore(), pki.storePassword());
    }

    void addListener(Properties p, int saslSslPort) {
        String address = LISTENER + "://127.0.0.1:" + saslSslPort;
        p.put("listeners", p.getProperty("listeners") + "," + address);
        p.put("advertised.listeners", p.getProperty("advertised.listeners") + "," + address);
        p.put("listener.security.protocol.map", p.getProperty("listener.security.protocol.map") + "," + LISTENER + ":" + LISTENER);
        String prefix = "listener.name." + LISTENER.toLowerCase() + ".";
        p.put(prefix + "ssl.keystore.type", "PKCS12");
        p.put(prefix + "ssl.keystore.location", keystore.toString());
        p.put(prefix + "ssl.keystore.password", keystorePassword);
        p.put(prefix + "ssl.key.password", keystorePassword);
        p.put("sasl.enabled.mechanisms", MECHANISM);
        // the server side of SCRAM needs a login module and no options: credentials live in the cluster metadata
        p.put(prefix + MECHANISM.toLowerCase() + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    }

    /**
     * The client properties for this listener: SASL_SSL, SCRAM-SHA-512, the user's password and the
     * given truststore; what a user puts in {@code client.properties}.
     */
    public static Map<String, Object> clientProperties(String user, String password, Path truststore, String truststorePassword) {
        Map<String, Object> p = new HashMap<>();
        p.put("security.protocol", LISTENER);
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaasConfig(user, password));
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", truststore.toString());
        p.put("ssl.truststore.password", truststorePassword);
        return p;
    }

    /** The client's {@code sasl.jaas.config} for a SCRAM user. */
    public static String jaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    static void createScramUser(String plaintextBootstrap, String saslSslBootstrap, String user, String password,
                                Map<String, Object> clientProperties, Duration timeout) {
        long timeoutMs = timeout.toMillis();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, plaintextBootstrap))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating SCRAM user " + user, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create SCRAM user " + user, e);
        }
        // the credential reaches the listener through the metadata log: wait until it is accepted
        Map<String, Object> config = new HashMap<>(clientProperties);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, saslSslBootstrap);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try (Admin admin = Admin.create(config)) {
                admin.describeCluster(new DescribeClusterOptions().timeoutMs(10_000)).nodes().get(15, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof SaslAuthenticationException) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("SCRAM user " + user + " is not accepted on " + saslSslBootstrap
                            + ": " + e.getCause(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking SCRAM user " + user, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("SASL_SSL listener at " + saslSslBootstrap + " did not answer", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking SCRAM user " + user, e);
            }
        }
    }
}
