package io.spendmonitor.streams;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadRecoveryTest {
    private final AtomicLong clock = new AtomicLong();

    /** What Kafka Streams hands the handler after a send failed while a broker died (as seen in the fail-over test). */
    private static Throwable sendFailure() {
        return new StreamsException("Error encountered sending record to topic spend.team-costs for task 0_3",
                new KafkaException("Cannot perform send because at least one previous transactional or idempotent request"
                        + " has failed with errors.", new TimeoutException("Expiring 3 record(s)")));
    }

    @Test
    void aFailureANewThreadMayCureReplacesTheThread() {
        ThreadRecovery recovery = new ThreadRecovery(3, Duration.ofMinutes(10), clock::get);

        assertThat(recovery.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        assertThat(recovery.replacements()).isEqualTo(1);
        assertThat(recovery.shutdowns()).isZero();
        assertThat(recovery.lastFailure()).isEqualTo("TimeoutException: Expiring 3 record(s)");
    }

    @Test
    void failuresBeyondTheBudgetWithinTheWindowShutTheInstanceDown() {
        ThreadRecovery recovery = new ThreadRecovery(3, Duration.ofMinutes(10), clock::get);
        // three replacements at 0, 1 and 2 minutes: the budget (3 within 10 minutes) is used up
        for (int minute = 0; minute < 3; minute++) {
            clock.set(Duration.ofMinutes(minute).toNanos());
            assertThat(recovery.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        }
        clock.set(Duration.ofMinutes(9).toNanos());
        assertThat(recovery.handle(sendFailure())).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.replacements()).isEqualTo(3);
        assertThat(recovery.shutdowns()).isEqualTo(1);
        assertThat(recovery.lastFailure()).startsWith("stream threads failed more than 3 times within PT10M");
    }

    @Test
    void theWindowSlides() {
        ThreadRecovery recovery = new ThreadRecovery(2, Duration.ofMinutes(10), clock::get);
        clock.set(0);
        assertThat(recovery.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        clock.set(Duration.ofMinutes(5).toNanos());
        assertThat(recovery.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        // at 10 minutes the first one (at 0) has left the window: [0, 10) minutes; the one at 5 is still in it
        clock.set(Duration.ofMinutes(10).toNanos());
        assertThat(recovery.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        // at 14 minutes the ones at 5 and 10 are both in it: 2 already, so no more
        clock.set(Duration.ofMinutes(14).toNanos());
        assertThat(recovery.handle(sendFailure())).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void noBudgetMeansEveryFailureStopsTheInstance() {
        ThreadRecovery recovery = new ThreadRecovery(0, Duration.ofMinutes(10), clock::get);
        assertThat(recovery.handle(sendFailure())).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.replacements()).isZero();
    }

    @Test
    void failuresNoNewThreadCuresStopTheInstanceAtOnce() {
        ThreadRecovery recovery = new ThreadRecovery(10, Duration.ofMinutes(10), clock::get);
        assertThat(recovery.handle(new StreamsException("fatal", new SaslAuthenticationException("bad password"))))
                .isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.lastFailure()).startsWith("authentication failed").endsWith("bad password");
        assertThat(recovery.handle(new StreamsException(new TopicAuthorizationException(Set.of("spend.alerts")))))
                .isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.lastFailure()).startsWith("not authorized");
        assertThat(recovery.handle(new MissingSourceTopicException("llm.token-usage is missing"))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.handle(new StreamsException(new OutOfMemoryError("Java heap space")))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(recovery.lastFailure()).startsWith("the JVM failed (OutOfMemoryError)");
        assertThat(recovery.replacements()).isZero();
        assertThat(recovery.shutdowns()).isEqualTo(4);
    }

    @Test
    void aCyclicCauseChainEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        ThreadRecovery recovery = new ThreadRecovery(1, Duration.ofMinutes(1), clock::get);
        assertThat(recovery.handle(a)).isEqualTo(REPLACE_THREAD);
        assertThat(recovery.lastFailure()).isEqualTo("RuntimeException: b");
    }

    @Test
    void settingsAreReadAndCheckedFromTheConfig() {
        ThreadRecovery defaults = ThreadRecovery.fromConfig(Map.of());
        for (int i = 0; i < ThreadRecovery.DEFAULT_MAX_REPLACEMENTS; i++) {
            assertThat(defaults.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        }
        assertThat(defaults.handle(sendFailure())).isEqualTo(SHUTDOWN_CLIENT);

        ThreadRecovery one = ThreadRecovery.fromConfig(Map.of(ThreadRecovery.MAX_REPLACEMENTS, "1",
                ThreadRecovery.REPLACEMENT_WINDOW, "PT1H"));
        assertThat(one.handle(sendFailure())).isEqualTo(REPLACE_THREAD);
        assertThat(one.handle(sendFailure())).isEqualTo(SHUTDOWN_CLIENT);

        assertThatThrownBy(() -> ThreadRecovery.fromConfig(Map.of(ThreadRecovery.MAX_REPLACEMENTS, "many")))
                .hasMessageContaining("spend.streams.thread-replacements must be a whole number, not 'many'");
        assertThatThrownBy(() -> ThreadRecovery.fromConfig(Map.of(ThreadRecovery.MAX_REPLACEMENTS, "-1")))
                .hasMessageContaining("must be 0 or more");
        assertThatThrownBy(() -> ThreadRecovery.fromConfig(Map.of(ThreadRecovery.REPLACEMENT_WINDOW, "PT0S")))
                .hasMessageContaining("must be positive");
    }
}
