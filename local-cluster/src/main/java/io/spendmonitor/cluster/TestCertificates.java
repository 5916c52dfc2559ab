package io.spendmonitor.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * {@link #close()} removes. Generating takes a few keytool runs (a few seconds).
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
        // the CA first: the others need it
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", CA_DN,
                "-ext", "bc:c", "-validity", "30", "-keystore", path("ca.p12"), "-storetype", "PKCS12",
                "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", path("ca.p12"), "-storepass", password,
                "-file", path("ca.pem"));
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        parts.add(async(() -> importTrusted("ca.pem", "truststore.p12")));
        parts.add(async(() -> serverKeystore("server.p12", "-validity", "30")));
        // valid from 10 days ago for 1 day: expired 9 days ago
        parts.add(async(() -> serverKeystore("expired.p12", "-startdate", "-10d", "-validity", "1")));
        parts.add(async(() -> {
            keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", OTHER_CA_DN,
                    "-ext", "bc:c", "-validity", "30", "-keystore", path("other-ca.p12"), "-storetype", "PKCS12",
                    "-storepass", password, "-keypass", password);
            keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", path("other-ca.p12"), "-storepass", password,
                    "-file", path("other-ca.pem"));
            importTrusted("other-ca.pem", "untrusted-truststore.p12");
        }));
        try {
            CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    private void serverKeystore(String file, String... validity) {
        String csr = file + ".csr";
        String pem = file + ".pem";
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", SERVER_DN,
                "-validity", "30", "-keystore", path(file), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
        keytool("-certreq", "-alias", "server", "-keystore", path(file), "-storepass", password, "-file", path(csr));
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", path("ca.p12"),
                "-storepass", password, "-infile", path(csr), "-outfile", path(pem), "-ext", SAN,
                "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth,clientAuth"));
        gencert.addAll(List.of(validity));
        keytool(gencert.toArray(String[]::new));
        // the reply as a chain (server, CA): keytool installs it without asking whether to trust the CA
        try {
            Files.writeString(dir.resolve(file + ".chain.pem"), Files.readString(dir.resolve(pem), StandardCharsets.US_ASCII)
                    + Files.readString(dir.resolve("ca.pem"), StandardCharsets.US_ASCII), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        keytool("-importcert", "-noprompt", "-alias", "server", "-keystore", path(file), "-storepass", password,
                "-file", path(file + ".chain.pem"));
    }

    private void importTrusted(String pem, String store) {
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", path(pem), "-keystore", path(store),
                "-storetype", "PKCS12", "-storepass", password);
    }

    private String path(String file) {
        return dir.resolve(file).toString();
    }

    private static CompletableFuture<Void> async(Runnable step) {
        return CompletableFuture.runAsync(step, r -> {
            Thread t = new Thread(r, "spend-pki");
            t.setDaemon(true);
            t.start();
        });
    }

    private static void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): "
                        + new String(output, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run keytool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
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
