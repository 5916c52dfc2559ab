package io.spendmonitor.schemas.text;

/**
 * Levenshtein distance (insertions, deletions and substitutions of one character), for the
 * "did you mean" of an unknown setting or field name.
 */
public final class EditDistance {
    private EditDistance() {
    }

    public static int between(String a, String b) {
        return between(a, b, Integer.MAX_VALUE - 1);
    }

    /**
     * The distance when it is at most {@code max}, else {@code max + 1}. The distance is at least
     * the difference of the lengths, so a name far longer than every candidate (an untrusted
     * 5,000-character field name) costs nothing instead of lengths-product work per candidate.
     */
    public static int between(String a, String b, int max) {
        if (Math.abs(a.length() - b.length()) > max) {
            return max + 1;
        }
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return Math.min(previous[b.length()], max + 1);
    }
}
