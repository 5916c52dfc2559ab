package io.spendmonitor.cluster;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs many {@code keytool} commands in one JVM (a JVM start per command costs most of the time):
 * {@code java --add-exports java.base/sun.security.tools.keytool=ALL-UNNAMED KeytoolBatch FILE},
 * FILE holding one command a line, its arguments separated by tabs. keytool exits non-zero on the
 * first failing command. Used by {@link TestCertificates} in a child process.
 */
public final class KeytoolBatch {
    private KeytoolBatch() {
    }

    public static void main(String[] args) throws Exception {
        Method keytool = Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class);
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                keytool.invoke(null, (Object) line.split("\t"));
            }
        }
    }
}
