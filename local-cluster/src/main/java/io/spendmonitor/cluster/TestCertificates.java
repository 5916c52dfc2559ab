package io.spendmonitor.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away test PKI made with the JDK's {@code keytool} (EC P-256 keys, PKCS12 stores):
 * <ul>
 *   <li>a CA, and a truststore holding it ({@link #truststore()}): what clients are given;</li>
 *   <li>a server key and certificate signed by that CA for {@code localhost} and {@code 127.0.0.1}
 *       ({@link #serverKeystore()}): the broker's and the registry proxy's;</li>
 *   <li>a second server keystore whose certificate, signed by the same CA, expired days ago
 *       ({@link #expiredServerKeystore()});</li>
 *   <li>a truststore holding an unrelated CA ({@link #untrustedTruststore()}): a client given it
 *       trusts no certificate of this PKI.</li>
 * </ul>
 * Every store has the password {@link #storePassword()}; the files live in a temp dir that
 * {@link #close()} removes. Generating takes one child JVM running keytool's commands (a few seconds).
 */
public final class TestCertificates implements AutoCloseable {
    private static final String CA_DN = "CN=spend-monitor test CA,O=spend-monitor";
    private static final String OTHER_CA_DN = "CN=some other CA,O=elsewhere";
    private static final String SERVER_DN = "CN=localhost,O=spend-monitor";
    private static final String SAN = "SAN=dns:localhost,ip:127.0.0.1";

    private final Path dir;
    private final String password;

    private TestCertificates(Path dir, String password) {
        this.dir = dir;
        this.password = password;
    }

    /** Generates the stores in a new temp dir; {@code password} protects every one of them. */
    public static TestCertificates generate(String password) {
        if (password == null || password.length() < 6) {
            throw new IllegalArgumentException("keytool needs a store password of at least 6 characters");
        }
        Path dir = TempDirs.create("spend-pki-");
        TestCertificates pki = new TestCertificates(dir, password);
        try {
            pki.generateAll();
            return pki;
        } catch (RuntimeException e) {
            TempDirs.deleteRecursively(dir);
            throw e;
        }
    }

    private void generateAll() {
        List<List<String>> commands = new ArrayList<>();
        // the CA
        commands.add(List.of("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", CA_DN,
                "-ext", "bc:c", "-validity", "30", "-keystore", path("ca.p12"), "-storetype", "PKCS12",
                "-storepass", password, "-keypass", password));
        commands.add(List.of("-exportcert", "-rfc", "-alias", "ca", "-keystore", path("ca.p12"), "-storepass", password,
                "-file", path("ca.pem")));
        commands.add(importTrusted("ca.pem", "truststore.p12"));
        commands.addAll(serverKeystore("server.p12", "-validity", "30"));
        // valid from 10 days ago for 1 day: expired 9 days ago
        commands.addAll(serverKeystore("expired.p12", "-startdate", "-10d", "-validity", "1"));
        // an unrelated CA, trusted by the "untrusted" truststore only
        commands.add(List.of("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", OTHER_CA_DN,
                "-ext", "bc:c", "-validity", "30", "-keystore", path("other-ca.p12"), "-storetype", "PKCS12",
                "-storepass", password, "-keypass", password));
        commands.add(List.of("-exportcert", "-rfc", "-alias", "other", "-keystore", path("other-ca.p12"), "-storepass", password,
                "-file", path("other-ca.pem")));
        commands.add(importTrusted("other-ca.pem", "untrusted-truststore.p12"));
        runBatch(commands);
    }

    private List<List<String>> serverKeystore(String file, String... validity) {
        String csr = file + ".csr";
        String pem = file + ".pem";
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", SERVER_DN,
                "-validity", "30", "-keystore", path(file), "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
        commands.add(List.of("-certreq", "-alias", "server", "-keystore", path(file), "-storepass", password, "-file", path(csr)));
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", path("ca.p12"),
                "-storepass", password, "-infile", path(csr), "-outfile", path(pem), "-ext", SAN,
                "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth,clientAuth"));
        gencert.addAll(List.of(validity));
        commands.add(gencert);
        // the CA first, so that the reply's chain (server, CA) is built from it
        commands.add(List.of("-importcert", "-noprompt", "-alias", "ca", "-keystore", path(file), "-storepass", password,
                "-file", path("ca.pem")));
        commands.add(List.of("-importcert", "-noprompt", "-alias", "server", "-keystore", path(file), "-storepass", password,
                "-file", path(pem)));
        return commands;
    }

    private List<String> importTrusted(String pem, String store) {
        return List.of("-importcert", "-noprompt", "-alias", "ca", "-file", path(pem), "-keystore", path(store),
                "-storetype", "PKCS12", "-storepass", password);
    }

    /** All commands in one child JVM ({@link KeytoolBatch}): a JVM start per command would cost seconds each here. */
    private void runBatch(List<List<String>> commands) {
        StringBuilder file = new StringBuilder();
        for (List<String> command : commands) {
            file.append(String.join("\t", command)).append('\n');
        }
        try {
            Path batch = dir.resolve("keytool.batch");
            Files.writeString(batch, file.toString(), StandardCharsets.UTF_8);
            String classpath = Path.of(KeytoolBatch.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-Xshare:auto", "--add-exports", "java.base/sun.security.tools.keytool=ALL-UNNAMED",
                    "-cp", classpath, KeytoolBatch.class.getName(), batch.toString())
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool did not finish within 120 s");
            }
            if (p.exitValue() != 0) {
                // keytool's messages name files and aliases; the store password is never echoed
                throw new IllegalStateException("keytool failed (exit " + p.exitValue() + "): "
                        + new String(output, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run keytool", e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }

    private String path(String file) {
        return dir.resolve(file).toString();
    }

    /** PKCS12 truststore holding the test CA. */
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /** PKCS12 truststore holding an unrelated CA only. */
    public Path untrustedTruststore() {
        return dir.resolve("untrusted-truststore.p12");
    }

    /** PKCS12 keystore: the server key with its chain (server certificate for localhost / 127.0.0.1, CA). */
    public Path serverKeystore() {
        return dir.resolve("server.p12");
    }

    /** Like {@link #serverKeystore()}, but the certificate expired days ago. */
    public Path expiredServerKeystore() {
        return dir.resolve("expired.p12");
    }

    /** The password of every store (and key). */
    public String storePassword() {
        return password;
    }

    /** The test CA certificate, PEM. */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    @Override
    public void close() {
        TempDirs.deleteRecursively(dir);
    }
}
