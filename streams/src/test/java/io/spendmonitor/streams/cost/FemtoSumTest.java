package io.spendmonitor.streams.cost;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Sums of femto-dollars past a long: exact, and the same after the store's binary form. */
class FemtoSumTest {

    @Test
    void aSumWidensInsteadOfWrappingAtTheEdgeOfALong() {
        FemtoSum sum = FemtoSum.of(Long.MAX_VALUE - 1);
        sum.add(1);
        assertThat(sum.value()).isEqualTo(BigInteger.valueOf(Long.MAX_VALUE)); // still a long
        sum.add(1);
        // Long.MAX_VALUE + 1 = 9,223,372,036,854,775,808: a long would have wrapped to Long.MIN_VALUE
        assertThat(sum.value()).isEqualTo(new BigInteger("9223372036854775808"));
        sum.add(-2);
        assertThat(sum.value()).isEqualTo(BigInteger.valueOf(Long.MAX_VALUE - 1));
    }

    @Test
    void aTenMillionDollarMonthIsExact() throws Exception {
        CostTotals month = new CostTotals();
        // 40,000 minute windows (27.8 days) of one $250 call: 250 * 1e15 femto each
        for (int m = 0; m < 40_000; m++) {
            TeamWindow w = new TeamWindow(m * 60_000L);
            w.addApiCall("openai", "gpt-4o", new TokenCounts(1000, 0, 0, 0), 250 * Money.FEMTO_PER_USD);
            month.add(w);
        }
        // 40,000 * $250 = $10,000,000 = 1e22 femto-USD, a thousand times a long
        assertThat(month.apiUsd()).isEqualByComparingTo(new BigDecimal("10000000"));
        assertThat(month.inputTokens()).isEqualTo(40_000_000L);
        assertThat(month.windows()).isEqualTo(40_000);
    }

    @Test
    void aWideSumSurvivesTheBinaryFormOfItsWindow() throws Exception {
        TeamWindow w = new TeamWindow(0);
        for (int c = 0; c < 300; c++) {
            w.addApiCall("acme", "big", new TokenCounts(4_000_000, 0, 0, 0), 40 * Money.FEMTO_PER_USD); // $40 a call
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        w.writeTo(new DataOutputStream(bytes));
        TeamWindow back = TeamWindow.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

        // 300 * $40 = $12,000
        assertThat(back.apiCost().usd()).isEqualByComparingTo("12000");
        assertThat(back.apiModels().get("acme/big").cost.usd()).isEqualByComparingTo("12000");
    }
}
