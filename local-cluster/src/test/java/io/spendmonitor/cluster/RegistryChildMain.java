package io.spendmonitor.cluster;

import java.io.IOException;
import java.util.stream.Collectors;

/** Run in a separate JVM by {@link RegistryWatchdogTest}: starts a registry, reports it, waits to be killed. */
public final class RegistryChildMain {

    private RegistryChildMain() {
    }

    public static void main(String[] args) throws IOException {
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start();
        String pids = registry.process().descendants()
                .map(p -> Long.toString(p.pid())).collect(Collectors.joining(","));
        System.out.println("READY " + registry.process().pid() + " " + pids + " " + registry.directory());
        System.out.flush();
        // blocks until stdin closes; the test SIGKILLs this JVM first
        while (System.in.read() >= 0) {
            // discard
        }
        registry.close();
    }
}
