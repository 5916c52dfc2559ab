package io.spendmonitor.schemas.rules;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Reading untrusted decimals without number bombs. A BigDecimal is an unscaled integer and an int
 * exponent: {@code 1e999999999} is two words, but {@code toPlainString()}, {@code toBigInteger()} or
 * {@code setScale(9)} on it allocate a billion digits, and {@code precision()} of a ten-megabyte
 * unscaled value computes a ten-megabyte power of ten. So every untrusted decimal goes through
 * {@link #bounded} first; what comes out has at most {@link #MAX_DIGITS} significant digits and an
 * exponent within {@code ±}{@link #MAX_SCALE}, and any further arithmetic on it is small.
 */
public final class Decimals {
    /** Significant digits: far more than any count, price or measurement needs (a long has 19). */
    public static final int MAX_DIGITS = 40;
    /** Largest |scale| after trailing zeros are stripped: values between about 1e-40 and 1e80. */
    public static final int MAX_SCALE = 40;
    /** Above this size the unscaled value is refused before anything else (about 120 digits). */
    private static final int MAX_UNSCALED_BITS = 400;
    private static final int PREVIEW_CHARS = 40;

    private Decimals() {
    }

    /**
     * {@code value} without trailing zeros, or empty when it is too large, too fine or too long to
     * be a plausible number. Costs a constant amount of work whatever {@code value} is.
     */
    public static Optional<BigDecimal> bounded(BigDecimal value) {
        if (value == null || value.unscaledValue().bitLength() > MAX_UNSCALED_BITS) {
            return Optional.empty();
        }
        BigDecimal stripped;
        try {
            stripped = value.stripTrailingZeros(); // at most ~120 digits to strip: cheap
        } catch (ArithmeticException scaleOverflow) {
            return Optional.empty();
        }
        if (stripped.precision() > MAX_DIGITS || Math.abs((long) stripped.scale()) > MAX_SCALE) {
            return Optional.empty();
        }
        return Optional.of(stripped);
    }

    /**
     * {@code value} at exactly {@code scale} decimal places when it is {@link #bounded} and has no
     * finer digit; empty otherwise (never rounds).
     */
    public static Optional<BigDecimal> atScale(BigDecimal value, int scale) {
        return bounded(value).filter(v -> v.scale() <= scale).map(v -> v.setScale(scale));
    }

    /** Whether {@code value} is bounded, not negative and below {@code limit}, with at most {@code scale} decimals. */
    public static boolean fits(BigDecimal value, int scale, BigDecimal limit) {
        Optional<BigDecimal> v = bounded(value);
        return v.isPresent() && v.get().signum() >= 0 && v.get().compareTo(limit) < 0 && v.get().scale() <= scale;
    }

    /**
     * At most 40 characters of the number for a message, then {@code …}; never a plain rendering of
     * a huge exponent, and a short description instead of a huge unscaled value.
     */
    public static String preview(BigDecimal value) {
        if (value == null) {
            return "null";
        }
        int bits = value.unscaledValue().bitLength();
        if (bits > MAX_UNSCALED_BITS) {
            // log10(2) = 0.30103: the number of decimal digits, without computing them
            return "a number of about " + (long) (bits * 0.30103) + " digits";
        }
        // plain digits only where they are few (of the value without trailing zeros: 0E+2147483647
        // is bounded, but its own plain form has two billion zeros); scientific notation otherwise
        Optional<BigDecimal> bounded = bounded(value);
        return preview(bounded.isPresent() ? bounded.get().toPlainString() : value.toString());
    }

    /** The first 40 characters of {@code text} (control characters escaped), then {@code …} when there is more. */
    public static String preview(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        int shown = 0;
        int i = 0;
        while (i < text.length() && shown < PREVIEW_CHARS) {
            int cp = text.codePointAt(i);
            out.append(Character.isISOControl(cp) ? String.format("\\u%04X", cp) : new String(Character.toChars(cp)));
            i += Character.charCount(cp);
            shown++;
        }
        return i < text.length() ? out.append('…').toString() : out.toString();
    }
}
