package io.spendmonitor.streams;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a stream thread's death does to the instance. Kafka Streams' default shuts the whole instance
 * down ({@code ERROR}) on any exception it does not handle itself, such as a send that failed while
 * a broker died (a producer in an aborted-transaction state fails every later send of its
 * transaction). Under exactly-once a new thread is safe: the dead thread's open transaction is
 * aborted, its tasks start again from their last commit, so nothing is lost or counted twice.
 *
 * <p>So a failed thread is replaced, at most {@link #MAX_REPLACEMENTS} times within
 * {@link #REPLACEMENT_WINDOW} (a failure that comes back at once, such as a bug on one record,
 * must not spin for ever). Failures no new thread can cure shut the instance down at once: a JVM
 * {@link Error} (out of memory), wrong credentials or missing rights, a missing input topic, a
 * broker too old. In {@code ERROR} the instance is not live ({@code /health/live}), and {@code run}
 * exits with a non-zero status, so a supervisor restarts it.
 */
public final class ThreadRecovery implements StreamsUncaughtExceptionHandler {
    public static final String MAX_REPLACEMENTS = "spend.streams.thread-replacements";
    public static final String REPLACEMENT_WINDOW = "spend.streams.thread-replacements-window";
    public static final int DEFAULT_MAX_REPLACEMENTS = 10;
    public static final String DEFAULT_REPLACEMENT_WINDOW = "PT10M";

    private static final Logger log = LoggerFactory.getLogger(ThreadRecovery.class);
    /** How deep a cause chain is searched (a cycle, or a pathological chain, ends the search). */
    private static final int MAX_CAUSE_DEPTH = 32;

    private final int maxReplacements;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Deque<Long> recent = new ArrayDeque<>();
    private final AtomicLong replaced = new AtomicLong();
    private final AtomicLong shutdowns = new AtomicLong();
    private volatile String lastFailure;

    public ThreadRecovery(int maxReplacements, Duration window, LongSupplier nanoTime) {
        if (maxReplacements < 0) {
            throw new IllegalArgumentException(MAX_REPLACEMENTS + " must be 0 or more, not " + maxReplacements);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException(REPLACEMENT_WINDOW + " must be positive, not " + window);
        }
        this.maxReplacements = maxReplacements;
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    /** From the app's settings ({@link #MAX_REPLACEMENTS}, {@link #REPLACEMENT_WINDOW}); defaults when unset. */
    public static ThreadRecovery fromConfig(Map<String, Object> config) {
        Object max = config.getOrDefault(MAX_REPLACEMENTS, DEFAULT_MAX_REPLACEMENTS);
        Object window = config.getOrDefault(REPLACEMENT_WINDOW, DEFAULT_REPLACEMENT_WINDOW);
        int parsedMax;
        try {
            parsedMax = Integer.parseInt(String.valueOf(max).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MAX_REPLACEMENTS + " must be a whole number, not '" + max + "'");
        }
        Duration parsedWindow = window instanceof Duration d ? d : Duration.parse(String.valueOf(window).trim());
        return new ThreadRecovery(parsedMax, parsedWindow, System::nanoTime);
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable failure) {
        String root = describe(rootCause(failure));
        String fatal = incurable(failure);
        if (fatal != null) {
            lastFailure = fatal + ": " + root;
            shutdowns.incrementAndGet();
            log.error("A stream thread failed and a new one would fail the same way ({}); shutting this instance down: {}",
                    fatal, root, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        int inWindow;
        synchronized (recent) {
            long now = nanoTime.getAsLong();
            while (!recent.isEmpty() && now - recent.peekFirst() >= windowNanos) {
                recent.removeFirst();
            }
            inWindow = recent.size();
            if (inWindow < maxReplacements) {
                recent.addLast(now);
            }
        }
        if (inWindow >= maxReplacements) {
            lastFailure = "stream threads failed more than " + maxReplacements + " times within "
                    + Duration.ofNanos(windowNanos) + ": " + root;
            shutdowns.incrementAndGet();
            log.error("A stream thread failed again: {} replacements within {} already ({} / {}); shutting this instance"
                            + " down: {}", inWindow, Duration.ofNanos(windowNanos), MAX_REPLACEMENTS, REPLACEMENT_WINDOW,
                    root, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        lastFailure = root;
        replaced.incrementAndGet();
        log.warn("A stream thread failed: {}. Replacing it ({} of at most {} within {}): its open transaction is aborted"
                        + " and its tasks resume from their last commit, so nothing is lost or counted twice.",
                root, inWindow + 1, maxReplacements, Duration.ofNanos(windowNanos), failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** Stream threads replaced since start. */
    public long replacements() {
        return replaced.get();
    }

    /** Failures that shut the instance down (at most one per instance in practice). */
    public long shutdowns() {
        return shutdowns.get();
    }

    /** The last failure handled, as logged; null if none. */
    public String lastFailure() {
        return lastFailure;
    }

    /**
     * Why a new thread would fail the same way, or null if it may not: the first such cause in the
     * chain. Kafka Streams wraps the real cause (a {@code StreamsException} around the client's error).
     */
    static String incurable(Throwable failure) {
        for (Throwable t : chain(failure)) {
            if (t instanceof Error) {
                return "the JVM failed (" + t.getClass().getSimpleName() + ")";
            }
            if (t instanceof AuthenticationException) {
                return "authentication failed: check the SASL credentials and the TLS trust settings";
            }
            if (t instanceof AuthorizationException) {
                return "not authorized: grant the app's principal its topics, group and transactional ids";
            }
            if (t instanceof SecurityDisabledException) {
                return "the broker has security features disabled that the configuration needs";
            }
            if (t instanceof MissingSourceTopicException || t instanceof InvalidTopicException) {
                return "an input topic is missing or invalid: create the topics (spend.topics.create=true, the"
                        + " default, or `spend-monitor prices load --create-topics`) and restart";
            }
            if (t instanceof UnsupportedVersionException) {
                return "the broker does not support what the app needs (exactly-once v2 needs Kafka 2.5 or later)";
            }
        }
        return null;
    }

    static Throwable rootCause(Throwable failure) {
        Throwable last = failure;
        for (Throwable t : chain(failure)) {
            last = t;
        }
        return last;
    }

    private static Iterable<Throwable> chain(Throwable failure) {
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        java.util.List<Throwable> out = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null && out.size() < MAX_CAUSE_DEPTH && seen.add(t); t = t.getCause()) {
            out.add(t);
        }
        return out;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
