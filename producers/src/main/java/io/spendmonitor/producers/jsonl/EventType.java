package io.spendmonitor.producers.jsonl;

import io.spendmonitor.avro.ApiModelPrice;
import io.spendmonitor.avro.GpuPrice;
import io.spendmonitor.avro.GpuUtilization;
import io.spendmonitor.avro.PriceEntry;
import io.spendmonitor.avro.SelfHostProfile;
import io.spendmonitor.avro.TeamBudget;
import io.spendmonitor.avro.TokenUsage;
import org.apache.avro.Schema;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code "type"} of a JSON line. Each type's fields are exactly the fields of its Avro record
 * (snake_case), so the JSON and the schema cannot drift apart: {@link #fieldNames()} reads them
 * from the generated class's schema.
 */
public enum EventType {
    TOKEN_USAGE("token_usage", Destination.TOKEN_USAGE, TokenUsage.getClassSchema()),
    GPU_UTILIZATION("gpu_utilization", Destination.GPU_UTILIZATION, GpuUtilization.getClassSchema()),
    API_PRICE("api_price", Destination.PRICE_CATALOG, ApiModelPrice.getClassSchema()),
    GPU_PRICE("gpu_price", Destination.PRICE_CATALOG, GpuPrice.getClassSchema()),
    SELFHOST_PROFILE("selfhost_profile", Destination.PRICE_CATALOG, SelfHostProfile.getClassSchema()),
    OWNED_GPU("owned_gpu", Destination.PRICE_CATALOG, io.spendmonitor.avro.OwnedGpuPrice.getClassSchema()),
    TEAM_BUDGET("team_budget", Destination.TEAM_BUDGETS, TeamBudget.getClassSchema());

    private static final Set<EventType> PRICES_AND_BUDGETS =
            Collections.unmodifiableSet(EnumSet.of(API_PRICE, GPU_PRICE, SELFHOST_PROFILE, OWNED_GPU, TEAM_BUDGET));

    private final String jsonName;
    private final Destination destination;
    private final Schema schema;
    private final List<String> fieldNames;

    EventType(String jsonName, Destination destination, Schema schema) {
        this.jsonName = jsonName;
        this.destination = destination;
        this.schema = schema;
        this.fieldNames = schema.getFields().stream().map(Schema.Field::name).toList();
    }

    /** The value of {@code "type"} in a JSON line, e.g. {@code token_usage}. */
    public String jsonName() {
        return jsonName;
    }

    public Destination destination() {
        return destination;
    }

    /** The Avro record this type's fields come from (for prices: the branch of PriceEntry's union). */
    public Schema schema() {
        return schema;
    }

    /** The JSON field names of this type (besides {@code "type"}), in schema order. */
    public List<String> fieldNames() {
        return fieldNames;
    }

    public static Optional<EventType> fromJsonName(String name) {
        return Arrays.stream(values()).filter(t -> t.jsonName.equals(name)).findFirst();
    }

    /** The types {@code prices load} accepts: catalog entries and budgets. */
    public static Set<EventType> pricesAndBudgets() {
        return PRICES_AND_BUDGETS;
    }

    /** The type of a record: TokenUsage, GpuUtilization, TeamBudget, PriceEntry or one of its branches. */
    public static EventType of(Object record) {
        Object inner = record instanceof PriceEntry entry ? entry.getEntry() : record;
        if (inner instanceof TokenUsage) {
            return TOKEN_USAGE;
        }
        if (inner instanceof GpuUtilization) {
            return GPU_UTILIZATION;
        }
        if (inner instanceof ApiModelPrice) {
            return API_PRICE;
        }
        if (inner instanceof GpuPrice) {
            return GPU_PRICE;
        }
        if (inner instanceof SelfHostProfile) {
            return SELFHOST_PROFILE;
        }
        if (inner instanceof io.spendmonitor.avro.OwnedGpuPrice) {
            return OWNED_GPU;
        }
        if (inner instanceof TeamBudget) {
            return TEAM_BUDGET;
        }
        throw new IllegalArgumentException("not a spend-monitor event: " + (record == null ? "null" : record.getClass().getName()));
    }

    /** The JSON names of {@code types}, comma-separated, in declaration order. */
    static String names(Set<EventType> types) {
        return String.join(", ", types.stream().sorted().map(EventType::jsonName).toList());
    }
}
