package io.spendmonitor.streams.cost;

/**
 * The two-threshold state machine of the break-even and idle alerts: FIRING after {@code fireAfter}
 * consecutive "bad" evaluations, RESOLVED after {@code resolveAfter} consecutive "good" ones;
 * anything in between resets both streaks, so a value oscillating around a threshold never flaps
 * and a held state never repeats. Mutable; serialized with the team's state.
 */
public final class Hysteresis {
    public boolean firing;
    public int badStreak;
    public int goodStreak;
    /** Window end (ms) at which the current state began; 0 before any transition. */
    public long sinceMs;

    public enum Change { NONE, FIRED, RESOLVED }

    public Hysteresis copy() {
        Hysteresis c = new Hysteresis();
        c.firing = firing;
        c.badStreak = badStreak;
        c.goodStreak = goodStreak;
        c.sinceMs = sinceMs;
        return c;
    }

    /**
     * @param bad  the evaluation is past the firing threshold
     * @param good the evaluation is past the resolving threshold (bad and good are never both true)
     */
    public Change observe(boolean bad, boolean good, int fireAfter, int resolveAfter, long windowEndMs) {
        badStreak = bad ? badStreak + 1 : 0;
        goodStreak = good ? goodStreak + 1 : 0;
        if (!firing && badStreak >= fireAfter) {
            firing = true;
            sinceMs = windowEndMs;
            goodStreak = 0;
            return Change.FIRED;
        }
        if (firing && goodStreak >= resolveAfter) {
            firing = false;
            sinceMs = windowEndMs;
            badStreak = 0;
            return Change.RESOLVED;
        }
        return Change.NONE;
    }
}
