package io.spendmonitor.flinkpeer;

import java.io.Serializable;

/**
 * One record of the price-catalog topic as it travels to the broadcast state: the catalog key
 * ({@code subject|effective_from}, so every version is its own entry: the version history) and
 * the record's value bytes as the registry framed them (null: a tombstone).
 */
public class PriceUpdate implements Serializable {
    private static final long serialVersionUID = 1L;

    public String key;
    public byte[] value;

    public PriceUpdate() {
    }

    public PriceUpdate(String key, byte[] value) {
        this.key = key;
        this.value = value;
    }
}
