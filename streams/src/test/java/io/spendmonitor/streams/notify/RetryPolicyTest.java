package io.spendmonitor.streams.notify;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {
    private final RetryPolicy policy = RetryPolicy.DEFAULT;

    @Test
    void backoffDoublesFromHalfASecondUpToThirtySeconds() {
        assertThat(IntStream.rangeClosed(1, 9).mapToObj(policy::backoff).map(Duration::toMillis))
                .containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L);
        assertThat(policy.backoff(1000)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void retryAfterIsHonouredUpToTheCap() {
        assertThat(policy.delay(1, Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(policy.delay(5, Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(8));
        assertThat(policy.delay(1, Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.delay(2, null)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void givesUpAfterTheAttemptsOrTheAge() {
        assertThat(policy.givesUp(19, Duration.ofMinutes(5))).isFalse();
        assertThat(policy.givesUp(20, Duration.ofMinutes(5))).isTrue();
        assertThat(policy.givesUp(3, Duration.ofMinutes(16))).isTrue();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(10), Duration.ofSeconds(1), 3, Duration.ofMinutes(1)))
                .hasMessageContaining("at least the initial");
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, Duration.ofMinutes(1)))
                .hasMessageContaining("at least one attempt");
    }
}
