package io.spendmonitor.streams.topology;

import io.spendmonitor.streams.cost.BreakEven;
import io.spendmonitor.streams.cost.Money;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The break-even history in event time: for each evaluation of a team, its results per self-host
 * profile, compactly (profile, mode, API model, ratio, savings), in the window store
 * {@link SpendTopology#BREAKEVEN_STORE} under (team, minute window). Written by the evaluate node,
 * read by the query API ({@code /api/teams/{team}/breakeven}); kept {@link #RETENTION} long.
 */
public final class BreakEvenHistory {
    /** How long the break-even history stays queryable. */
    public static final String RETENTION = "spend.breakeven.history";
    public static final String DEFAULT_RETENTION = "PT6H";
    /** Profiles kept per evaluation: a catalog with more is cut, so one record stays small. */
    static final int MAX_PROFILES = 64;

    private BreakEvenHistory() {
    }

    /** One profile's result of one evaluation; {@code ratio} null: infinite (see {@link BreakEven}). */
    public record Point(String profile, String mode, String apiModel, Double ratio, BigDecimal savingsUsdPerHour) {
        static Point of(BreakEven b) {
            return new Point(b.profile(), b.mode().name(), b.apiModel(), b.ratio(), Money.usdNanos(b.savingsUsdPerHour()));
        }
    }

    static List<Point> of(List<BreakEven> results) {
        List<Point> points = new ArrayList<>(Math.min(results.size(), MAX_PROFILES));
        for (BreakEven b : results) {
            if (points.size() == MAX_PROFILES) {
                break;
            }
            points.add(Point.of(b));
        }
        return points;
    }

    private static final int VERSION = 1;

    public static Serde<List<Point>> serde() {
        return Serdes.serdeFrom((topic, points) -> {
            if (points == null) {
                return null;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * Math.max(1, points.size()));
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(VERSION);
                out.writeShort(points.size());
                for (Point p : points) {
                    out.writeUTF(p.profile());
                    out.writeUTF(p.mode());
                    out.writeUTF(p.apiModel() == null ? "" : p.apiModel());
                    out.writeBoolean(p.ratio() != null);
                    out.writeDouble(p.ratio() == null ? 0 : p.ratio());
                    // nano-dollars: exact, as the API writes them
                    out.writeLong(p.savingsUsdPerHour().movePointRight(9).longValueExact());
                }
            } catch (IOException | ArithmeticException e) {
                throw new SerializationException("cannot write break-even history", e);
            }
            return bytes.toByteArray();
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                int version = in.readUnsignedByte();
                if (version != VERSION) {
                    throw new SerializationException("break-even history of version " + version);
                }
                int n = in.readUnsignedShort();
                List<Point> points = new ArrayList<>(Math.min(n, MAX_PROFILES));
                for (int i = 0; i < n; i++) {
                    String profile = in.readUTF();
                    String mode = in.readUTF();
                    String api = in.readUTF();
                    boolean finite = in.readBoolean();
                    double ratio = in.readDouble();
                    BigDecimal savings = BigDecimal.valueOf(in.readLong(), 9);
                    points.add(new Point(profile, mode, api.isEmpty() ? null : api, finite ? ratio : null, savings));
                }
                return points;
            } catch (IOException e) {
                throw new SerializationException("cannot read break-even history", e);
            }
        });
    }
}
