package io.spendmonitor.producers.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The recorded GPU outputs under src/test/resources/gpu. */
final class GpuTestFiles {
    private GpuTestFiles() {
    }

    static String text(String name) {
        try (InputStream in = GpuTestFiles.class.getResourceAsStream("/gpu/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource gpu/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a fake nvidia-smi script into {@code dir} as an executable (resources lose the executable bit). */
    static Path executable(Path dir, String name) {
        try {
            Path script = dir.resolve(name);
            Files.writeString(script, text(name));
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
