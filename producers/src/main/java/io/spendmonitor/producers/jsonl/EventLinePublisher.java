package io.spendmonitor.producers.jsonl;

import io.spendmonitor.schemas.TopicSpec;
import io.spendmonitor.schemas.Topics;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Publishes a JSON-lines input: each valid line goes to its topic with its key, asynchronously;
 * acknowledgements are counted in the send callbacks; the producer is flushed at the end. A bad
 * line is reported to the {@link Listener} and skipped. The first failure to publish (a missing
 * topic, an unreachable broker, a registry error, a delivery error) stops reading: what was sent is
 * still flushed, and the result says how much was not acknowledged.
 * <p>
 * The producer should be made with {@code acks=all} and {@code enable.idempotence=true}, and its
 * {@code delivery.timeout.ms} bounds how long the final flush waits.
 */
public final class EventLinePublisher {
    /** Hears about rejected lines (on the reading thread) and progress (on a timer thread). */
    public interface Listener {
        void rejected(LineError error);

        default void progress(Progress progress) {
        }
    }

    /** A snapshot while publishing. */
    public record Progress(long linesRead, long published, long rejected, long inFlight, Duration elapsed) {
        public double linesPerSecond() {
            double seconds = elapsed.toMillis() / 1000.0;
            return seconds <= 0 ? 0 : linesRead / seconds;
        }
    }

    private final Producer<String, Object> producer;
    private final Topics topics;
    private final TopicCheck topicCheck;
    private final Listener listener;
    private final Duration progressInterval;

    private EventLinePublisher(Producer<String, Object> producer, Topics topics, TopicCheck topicCheck,
                               Listener listener, Duration progressInterval) {
        this.producer = producer;
        this.topics = topics;
        this.topicCheck = topicCheck;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.progressInterval = progressInterval;
    }

    /** Validates only; needs no Kafka. {@code progressInterval} null: no progress reports. */
    public static EventLinePublisher dryRun(Listener listener, Duration progressInterval) {
        return new EventLinePublisher(null, null, TopicCheck.none(), listener, progressInterval);
    }

    public static EventLinePublisher to(Producer<String, Object> producer, Topics topics, TopicCheck topicCheck,
                                       Listener listener, Duration progressInterval) {
        return new EventLinePublisher(Objects.requireNonNull(producer, "producer"), Objects.requireNonNull(topics, "topics"),
                Objects.requireNonNull(topicCheck, "topicCheck"), listener, progressInterval);
    }

    /** Reads {@code input} to its end (or to the first failure to publish) and publishes every valid line. */
    public PublishResult publish(BufferedReader input, EventLineParser parser) {
        Run run = new Run();
        ScheduledExecutorService ticker = startProgress(run);
        try {
            run.readAll(input, parser);
            run.flush();
        } finally {
            if (ticker != null) {
                ticker.shutdownNow();
            }
        }
        return run.result();
    }

    private ScheduledExecutorService startProgress(Run run) {
        if (progressInterval == null || progressInterval.isZero() || progressInterval.isNegative()) {
            return null;
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spend-monitor-publish-progress");
            t.setDaemon(true);
            return t;
        });
        long ms = progressInterval.toMillis();
        ticker.scheduleAtFixedRate(() -> listener.progress(run.progress()), ms, ms, TimeUnit.MILLISECONDS);
        return ticker;
    }

    /** The state of one publish call; counters are shared with the producer's callback thread. */
    private final class Run {
        private final long started = System.nanoTime();
        private final AtomicLong linesRead = new AtomicLong();
        private final AtomicLong valid = new AtomicLong();
        private final AtomicLong rejected = new AtomicLong();
        private final AtomicLong sent = new AtomicLong();
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicReference<String> failure = new AtomicReference<>();
        private final Map<String, Long> rejectedByReason = new TreeMap<>();
        private final Map<EventType, LongAdder> byType = new ConcurrentHashMap<>();
        private final Set<String> checkedTopics = new HashSet<>();
        private final Map<Destination, TopicSpec<String, ?>> specs = new EnumMap<>(Destination.class);

        void readAll(BufferedReader input, EventLineParser parser) {
            int lineNumber = 0;
            while (failure.get() == null) {
                String line;
                try {
                    line = input.readLine();
                } catch (CharacterCodingException e) {
                    fail("line " + (lineNumber + 1) + " is not UTF-8 text; input read up to line " + lineNumber);
                    return;
                } catch (IOException e) {
                    fail("cannot read the input after line " + lineNumber + ": " + e.getMessage());
                    return;
                }
                if (line == null) {
                    return;
                }
                lineNumber++;
                linesRead.incrementAndGet();
                Optional<LineResult> result = parser.parse(lineNumber, line);
                if (result.isEmpty()) {
                    continue;
                }
                if (result.get() instanceof LineError error) {
                    rejected.incrementAndGet();
                    rejectedByReason.merge(error.reason(), 1L, Long::sum);
                    listener.rejected(error);
                } else if (result.get() instanceof ParsedEvent event) {
                    valid.incrementAndGet();
                    if (producer == null) {
                        byType.computeIfAbsent(event.type(), t -> new LongAdder()).increment();
                    } else {
                        send(event);
                    }
                }
            }
        }

        private void send(ParsedEvent event) {
            TopicSpec<String, ?> topic = specs.computeIfAbsent(event.destination(), d -> d.topicIn(topics));
            if (checkedTopics.add(topic.name())) {
                try {
                    topicCheck.ensureExists(event.destination(), topic);
                } catch (RuntimeException e) {
                    fail(e.getMessage() + " (needed by line " + event.lineNumber() + ")");
                    return;
                }
            }
            try {
                producer.send(new ProducerRecord<>(topic.name(), event.key(), event.value()), (metadata, exception) -> {
                    if (exception == null) {
                        acknowledged.incrementAndGet();
                        byType.computeIfAbsent(event.type(), t -> new LongAdder()).increment();
                    } else {
                        fail("Kafka did not accept line " + event.lineNumber() + " (topic " + topic.name() + "): "
                                + describe(exception));
                    }
                });
                sent.incrementAndGet();
            } catch (InterruptException e) {
                fail("interrupted while publishing line " + event.lineNumber());
            } catch (RuntimeException e) {
                // serialization (registry unreachable, schema rejected) or a producer in error
                fail("cannot publish line " + event.lineNumber() + " to " + topic.name() + ": " + describe(e));
            }
        }

        void flush() {
            if (producer == null) {
                return;
            }
            try {
                producer.flush();
            } catch (InterruptException e) {
                fail("interrupted while waiting for Kafka to acknowledge");
            } catch (RuntimeException e) {
                fail("cannot flush the producer: " + describe(e));
            }
        }

        private void fail(String reason) {
            failure.compareAndSet(null, reason);
        }

        Progress progress() {
            long inFlight = Math.max(0, sent.get() - acknowledged.get());
            return new Progress(linesRead.get(), acknowledged.get(), rejected.get(), inFlight,
                    Duration.ofNanos(System.nanoTime() - started));
        }

        PublishResult result() {
            SortedMap<String, Long> types = new TreeMap<>();
            byType.forEach((type, count) -> types.put(type.jsonName(), count.sum()));
            return new PublishResult(producer == null, linesRead.get(), valid.get(), acknowledged.get(),
                    new TreeMap<>(rejectedByReason), types, Math.max(0, sent.get() - acknowledged.get()), failure.get(),
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** An exception's message, with its cause's when that says more. */
    static String describe(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += ": " + cause.getMessage();
        }
        return message;
    }
}
