package io.spendmonitor.streams.cost;

import io.spendmonitor.streams.topology.StateSerdes;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The team state's JSON (the changelog of running users) through {@link StateSerdes}: the spike
 * history is an object from window end to femto-USD, ascending. The literals were written by the
 * code that kept the history in a {@code TreeMap<Long, BigInteger>}: states it wrote read back, and
 * are written again byte for byte.
 */
class SpikeStateJsonTest {
    private static final Serde<TeamState> SERDE = StateSerdes.teamState();

    /** Four windows (one cost past a long, one past a long's max by one), firing. */
    static final String OLD_STATE = "{\"firstWindowStartMs\":1772445600000,\"lastActivityMs\":1772449260000,"
            + "\"lastEvaluatedMs\":1772449260000,\"horizonMinutes\":0,\"horizonApiCostFemto\":0,\"horizonGpuCostFemto\":0,"
            + "\"horizonMs\":0,\"deploymentModels\":{},\"breakEven\":{},\"idle\":{},"
            + "\"day\":{\"period\":null,\"spendUsd\":0,\"warned\":false,\"exceeded\":false,\"forecast\":false},"
            + "\"month\":{\"period\":null,\"spendUsd\":0,\"warned\":false,\"exceeded\":false,\"forecast\":false},"
            + "\"labelDay\":{},\"labelMonth\":{},\"lastBreakEven\":[],\"modelTotals\":{},\"gpuTotals\":{},\"lastIdleGpus\":0.0,"
            + "\"attributedTotals\":{},\"spike\":{\"costs\":{\"1772445660000\":1000000000000,\"1772449140000\":7,"
            + "\"1772449200000\":9223372036854775808,\"1772449260000\":123456789012345678901234567890},\"firing\":true,"
            + "\"baselineFemtoPerWindow\":\"16666666666.66666666666666666666667\",\"calm\":2,\"sinceMs\":1772449200000}}";

    /** A new team's state. */
    static final String OLD_EMPTY = "{\"firstWindowStartMs\":-1,\"lastActivityMs\":0,\"lastEvaluatedMs\":0,\"horizonMinutes\":0,"
            + "\"horizonApiCostFemto\":0,\"horizonGpuCostFemto\":0,\"horizonMs\":0,\"deploymentModels\":{},\"breakEven\":{},\"idle\":{},"
            + "\"day\":{\"period\":null,\"spendUsd\":0,\"warned\":false,\"exceeded\":false,\"forecast\":false},"
            + "\"month\":{\"period\":null,\"spendUsd\":0,\"warned\":false,\"exceeded\":false,\"forecast\":false},"
            + "\"labelDay\":{},\"labelMonth\":{},\"lastBreakEven\":[],\"modelTotals\":{},\"gpuTotals\":{},\"lastIdleGpus\":0.0,"
            + "\"attributedTotals\":{},\"spike\":{\"costs\":{},\"firing\":false,\"baselineFemtoPerWindow\":null,\"calm\":0,\"sinceMs\":0}}";

    static TeamState read(String json) {
        return SERDE.deserializer().deserialize("team-state-changelog", json.getBytes(StandardCharsets.UTF_8));
    }

    static String write(TeamState state) {
        return new String(SERDE.serializer().serialize("team-state-changelog", state), StandardCharsets.UTF_8);
    }

    @Test
    void anOldStateReadsBackAndIsWrittenByteForByte() {
        assertThat(write(read(OLD_STATE))).isEqualTo(OLD_STATE);
        assertThat(write(read(OLD_EMPTY))).isEqualTo(OLD_EMPTY);
        assertThat(write(new TeamState())).isEqualTo(OLD_EMPTY);
    }

    @Test
    void aCopyIsWrittenLikeTheOriginal() {
        assertThat(write(read(OLD_STATE).copy())).isEqualTo(OLD_STATE);
        assertThat(write(read(OLD_STATE).copyForEvaluation())).isEqualTo(OLD_STATE);
    }

    @Test
    void windowsInAnyOrderAreWrittenAscending() {
        String shuffled = OLD_STATE.replace(
                "{\"1772445660000\":1000000000000,\"1772449140000\":7,\"1772449200000\":9223372036854775808,\"1772449260000\":123456789012345678901234567890}",
                "{\"1772449260000\":123456789012345678901234567890,\"1772449140000\":7,\"1772445660000\":1000000000000,\"1772449200000\":9223372036854775808}");
        assertThat(shuffled).isNotEqualTo(OLD_STATE);
        assertThat(write(read(shuffled))).isEqualTo(OLD_STATE);
    }

    @Test
    void aWindowTwiceKeepsItsLastCostAndACostAsAStringIsANumber() {
        // what Jackson's map reading does (the last value of a repeated key wins; "7" is the number 7)
        String edited = OLD_STATE.replace("\"1772449140000\":7,", "\"1772449140000\":5,\"1772449140000\":\"7\",");
        assertThat(edited).isNotEqualTo(OLD_STATE);
        assertThat(write(read(edited))).isEqualTo(OLD_STATE);
    }

    @Test
    void theHistoryPutByTheEvaluationIsWrittenAsTheTreeMapWroteIt() {
        TeamState s = new TeamState();
        s.firstWindowStartMs = 1_772_445_600_000L;
        s.lastActivityMs = 1_772_449_260_000L;
        s.lastEvaluatedMs = 1_772_449_260_000L;
        s.spike.put(1_772_449_260_000L, new BigInteger("123456789012345678901234567890"));
        s.spike.put(1_772_445_660_000L, BigInteger.valueOf(1_000_000_000_000L));
        s.spike.put(1_772_449_140_000L, BigInteger.valueOf(8));
        s.spike.put(1_772_449_200_000L, new BigInteger("9223372036854775808"));
        s.spike.put(1_772_449_140_000L, BigInteger.valueOf(7)); // replaced
        s.spike.firing = true;
        s.spike.baselineFemtoPerWindow = "16666666666.66666666666666666666667";
        s.spike.calm = 2;
        s.spike.sinceMs = 1_772_449_200_000L;
        assertThat(write(s)).isEqualTo(OLD_STATE);
    }

    @Test
    void anOldStateReadsIntoTheSortedHistory() {
        TeamState.SpikeState spike = read(OLD_STATE.replace(
                "{\"1772445660000\":1000000000000,\"1772449140000\":7,\"1772449200000\":9223372036854775808,\"1772449260000\":123456789012345678901234567890}",
                "{\"1772449260000\":123456789012345678901234567890,\"1772449140000\":7,\"1772445660000\":1000000000000,\"1772449200000\":9223372036854775808}")).spike;
        assertThat(spike.size()).isEqualTo(4);
        assertThat(spike.getCosts().keySet()).containsExactly(1_772_445_660_000L, 1_772_449_140_000L, 1_772_449_200_000L, 1_772_449_260_000L);
        assertThat(spike.cost(1_772_449_200_000L)).isEqualTo(new BigInteger("9223372036854775808"));
        assertThat(spike.cost(1_772_449_080_000L)).isZero();
        // (1772449140000, 1772449260000]: the last two
        assertThat(spike.sum(1_772_449_140_000L, 1_772_449_260_000L)).isEqualTo(new BigInteger("123456789021569050938089343698"));
        assertThat(spike.firing).isTrue();
        assertThat(spike.calm).isEqualTo(2);
        // and it goes on from there: an append, then the hour before forgotten
        spike.put(1_772_449_320_000L, BigInteger.TEN);
        spike.removeUpTo(1_772_449_140_000L);
        assertThat(spike.getCosts().keySet()).containsExactly(1_772_449_200_000L, 1_772_449_260_000L, 1_772_449_320_000L);
    }

    @Test
    void aNullCostReadsAsNoCost() {
        // neither the TreeMap code nor this one writes a null; kept, it would fail every evaluation of the team
        TeamState s = read(OLD_STATE.replace("\"1772449140000\":7,", "\"1772449140000\":null,"));
        assertThat(s.spike.size()).isEqualTo(3);
        assertThat(s.spike.cost(1_772_449_140_000L)).isZero();
        assertThat(write(s)).isEqualTo(OLD_STATE.replace("\"1772449140000\":7,", ""));

        TeamState none = read(OLD_EMPTY.replace("\"costs\":{}", "\"costs\":null"));
        assertThat(none.spike.size()).isZero();
        assertThat(write(none)).isEqualTo(OLD_EMPTY);
    }
}
