package io.spendmonitor.streams.cost;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Dollar amounts for people: cents, or four significant digits below a cent. */
public final class UsdFormat {
    private UsdFormat() {
    }

    public static String usd(BigDecimal amount) {
        BigDecimal abs = amount.abs();
        String sign = amount.signum() < 0 ? "-" : "";
        if (abs.signum() == 0 || abs.compareTo(new BigDecimal("0.01")) >= 0) {
            return sign + "$" + abs.setScale(2, RoundingMode.HALF_EVEN).toPlainString();
        }
        return sign + "$" + abs.round(new java.math.MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }
}
