package io.spendmonitor.streams.repeats;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * A team's repeated-prompt numbers as of its last final window, in the {@code team-repeat-totals}
 * store: the gauge {@code llm_repeat_share} and the counter {@code llm_cacheable_cost_usd_total}.
 * The counter only grows: each final window adds its own cacheable cost (never negative) and
 * nothing else writes it; open windows never count.
 *
 * @param cacheableFemto the cacheable cost of every final window so far, femto-dollars
 * @param repeatShare    the repeat share of the horizon ending at the last final window; NaN without hashed calls
 */
public record RepeatTotals(BigInteger cacheableFemto, double repeatShare, long lastWindowEndMs) {
    public static final RepeatTotals NONE = new RepeatTotals(BigInteger.ZERO, Double.NaN, -1);

    public static Serde<RepeatTotals> serde() {
        return Serdes.serdeFrom((topic, t) -> {
            if (t == null) {
                return null;
            }
            byte[] femto = t.cacheableFemto.toByteArray();
            return ByteBuffer.allocate(4 + femto.length + 16).putInt(femto.length).put(femto)
                    .putDouble(t.repeatShare).putLong(t.lastWindowEndMs).array();
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            int n = buf.getInt();
            if (n < 1 || n > 64 || buf.remaining() != n + 16) {
                throw new org.apache.kafka.common.errors.SerializationException("corrupt repeat totals");
            }
            byte[] femto = new byte[n];
            buf.get(femto);
            return new RepeatTotals(new BigInteger(femto), buf.getDouble(), buf.getLong());
        });
    }
}
