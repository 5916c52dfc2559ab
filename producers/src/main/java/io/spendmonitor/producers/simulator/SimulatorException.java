package io.spendmonitor.producers.simulator;

/** The simulator could not start or could not go on (Kafka or the registry unreachable, a topic missing, ...). */
public class SimulatorException extends RuntimeException {
    public SimulatorException(String message) {
        super(message);
    }

    public SimulatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
