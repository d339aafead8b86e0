package dev.normclock.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models normclock trains, with what the rest of the engine needs to know of each in one place
 * instead of a model name compared wherever it matters: its name in studies, commands and the
 * results database, its task, the clamp groups a clamp can hold alone (by name, as tensor or group
 * indices of its population), the step its papers start the clamp at, and whether it takes a
 * LayerNorm.
 */
public enum ModelKind {
    /** Paper A's MLP on (a + b) mod p: E, W1, b1, W2, b2; a clamp group is one weight matrix. */
    MLP("mlp", true, 500, groups("E", 0, "W1", 1, "W2", 3)),
    /** The one-layer attention model of the model zoo; clamp groups are PROTOCOL §3's parameter groups. */
    ATTENTION("attention", true, 600, groups("embed", 0, "attn", 1, "mlp", 2, "unembed", 3)),
    /** The MLP on sparse parity: W1, b1, W2, b2; a clamp group is one weight matrix. */
    PARITY_MLP("parity-mlp", false, 1000, groups("W1", 0, "W2", 2));

    /** The name in studies, on the command line and in stored configs. */
    public final String label;
    /** Whether it learns modular addition (p, train_frac, d); else sparse parity. */
    public final boolean modularAddition;
    /** The step the papers start the clamp at. */
    public final int paperClampFrom;
    /** The clamp groups by name, "all" (the whole norm, -1) first. */
    public final Map<String, Integer> clampGroups;

    ModelKind(String label, boolean modularAddition, int paperClampFrom, Map<String, Integer> clampGroups) {
        this.label = label;
        this.modularAddition = modularAddition;
        this.paperClampFrom = paperClampFrom;
        this.clampGroups = clampGroups;
    }

    private static Map<String, Integer> groups(Object... nameIndex) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("all", -1);
        for (int i = 0; i < nameIndex.length; i += 2) m.put((String) nameIndex[i], (Integer) nameIndex[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The kind of this name; an IllegalArgumentException naming the choices otherwise. */
    public static ModelKind of(String label) {
        for (ModelKind k : values()) if (k.label.equals(label)) return k;
        throw new IllegalArgumentException("the model must be " + choices() + "; got '" + label + "'");
    }

    /** "mlp, attention or parity-mlp". */
    public static String choices() {
        String[] names = Arrays.stream(values()).map(k -> k.label).toArray(String[]::new);
        return String.join(", ", Arrays.copyOf(names, names.length - 1)) + " or " + names[names.length - 1];
    }

    /** Whether it can have a LayerNorm (only the attention model has one to add). */
    public boolean takesLayerNorm() {
        return this == ATTENTION;
    }

    /** The clamp group of this name; an IllegalArgumentException naming this model's groups otherwise. */
    public int clampGroup(String name) {
        Integer g = clampGroups.get(name);
        if (g == null) throw new IllegalArgumentException("--clamp-group must be " + groupChoices() + " for the " + label + " model; got '" + name + "'");
        return g;
    }

    /** The name of clamp group {@code group} (-1: "all"). */
    public String clampGroupName(int group) {
        return clampGroups.entrySet().stream().filter(e -> e.getValue() == group).findFirst().orElseThrow().getKey();
    }

    /** "all, E, W1 or W2". */
    public String groupChoices() {
        String[] names = clampGroups.keySet().toArray(String[]::new);
        return String.join(", ", Arrays.copyOf(names, names.length - 1)) + " or " + names[names.length - 1];
    }
}
