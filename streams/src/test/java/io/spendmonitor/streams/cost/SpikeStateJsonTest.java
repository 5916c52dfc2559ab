package io.spendmonitor.streams.cost;

import io.spendmonitor.streams.topology.StateSerdes;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

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
}
