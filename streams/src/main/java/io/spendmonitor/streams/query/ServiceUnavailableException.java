package io.spendmonitor.streams.query;

/** The answer cannot be given right now (stores moving, app starting): retry shortly; HTTP 503. */
public class ServiceUnavailableException extends RuntimeException {
    public ServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public ServiceUnavailableException(String message) {
        super(message);
    }
}
