package io.spendmonitor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A secret (a token) from a file, the environment or, last and with a warning, the command line,
 * where {@code ps} shows it to every user of the machine. Messages name the option, the variable
 * or the file, never the value.
 */
final class Secrets {
    private Secrets() {
    }

    /**
     * @param option        the option's name, e.g. {@code --api-token}
     * @param onCommandLine the option's value, or null
     * @param file          the {@code --...-file} option's value, or null
     * @param envName       the environment variable, e.g. {@code SPEND_API_TOKEN}
     * @return the secret, or null when none is given
     */
    static String resolve(String option, String onCommandLine, Path file, String envName, Map<String, String> env, PrintWriter err) {
        if (onCommandLine != null && file != null) {
            throw new CliException("give " + option + " or " + option + "-file, not both", 2);
        }
        if (file != null) {
            String secret;
            try {
                secret = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new CliException(option + "-file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")", 2);
            }
            if (secret.isEmpty() || secret.contains("\n")) {
                throw new CliException(option + "-file: " + file + " must hold the token on one line", 2);
            }
            return secret;
        }
        if (onCommandLine != null) {
            if (onCommandLine.isBlank()) {
                throw new CliException(option + " is empty", 2);
            }
            err.println("warning: " + option + " on the command line is visible to every user of this machine (ps);"
                    + " prefer " + envName + " or " + option + "-file FILE");
            err.flush();
            return onCommandLine.strip();
        }
        String fromEnv = env.get(envName);
        return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.strip();
    }
}
