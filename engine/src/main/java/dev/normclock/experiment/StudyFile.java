package dev.normclock.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.normclock.backend.Precision;
import dev.normclock.model.MlpShape;
import dev.normclock.task.ModularAddition;
import dev.normclock.task.SparseParity;
import dev.normclock.train.EvalSchedule;

/**
 * Reads a study from YAML (or JSON, which is YAML too) and validates every field, naming the field
 * by its path (e.g. {@code experiments[1].cells[3].rho}) and the values it allows. Cells inherit
 * the study's {@code defaults}, then their experiment's; a cell field given as a list expands the
 * cell into one cell per value (several lists: every combination), except {@code seeds}, where a
 * list names the seed indices and a number counts them from 0.
 *
 * <p>A cell of {@code model: parity-mlp} learns sparse parity ({@code parity_n}, {@code parity_k},
 * {@code parity_m}, {@code parity_test}) instead of modular addition, and its {@code hidden} and
 * {@code t_int} default to the papers' 512 and 1000.
 *
 * <p>Built-in presets are files of this format in the jar ({@code normclock reproduce
 * --show-preset NAME} prints one to copy and edit).
 */
public final class StudyFile {
    public static final List<String> PRESETS = List.of("quick", "paperb", "paper-cpu", "zoo", "paper", "smoke");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Set<String> STUDY_FIELDS = Set.of("study", "description", "base_key", "defaults", "experiments");
    private static final Set<String> EXPERIMENT_FIELDS = Set.of("name", "analysis", "reference", "description", "defaults", "cells");
    static final List<String> CELL_FIELDS = List.of("id", "arm", "p", "train_frac", "d", "hidden", "lr", "weight_decay",
            "decay_order", "rho", "wc", "wc_lr", "wc_temperature", "t_int", "max_steps", "seeds", "eval_grid", "retire_window", "bias_std", "loss",
            "temperature", "clamp_group", "model", "layer_norm", "parity_n", "parity_k", "parity_m", "parity_test", "alloc_gamma", "precision",
            "until", "wc_norm");
    /** Fields a study may still name from an earlier normclock, with what to do instead. */
    private static final Map<String, String> REMOVED_FIELDS = Map.of("alloc_hold", "removed: an allocation now follows Paper B's definition "
            + "(E, W1 and W2 each held at its own target at every step), which has nothing to hold; drop alloc_hold");
    /** Paper A's settings, used where neither the cell nor a defaults block says otherwise. */
    private static final Map<String, Object> BUILT_IN = Map.ofEntries(Map.entry("train_frac", 0.4), Map.entry("d", 128),
            Map.entry("hidden", 256), Map.entry("lr", 1e-3), Map.entry("weight_decay", 1.0), Map.entry("decay_order", "before"),
            Map.entry("t_int", 500), Map.entry("eval_grid", "log360"), Map.entry("retire_window", 0), Map.entry("bias_std", 1e-6),
            Map.entry("loss", "ce"), Map.entry("temperature", 1.0), Map.entry("clamp_group", "all"), Map.entry("model", "mlp"),
            Map.entry("layer_norm", false), Map.entry("precision", "float32"), Map.entry("until", "seed"), Map.entry("wc_norm", "at_grok"));
    /**
     * The parity MLP's settings (PROTOCOL §1–§3, as {@code normclock train --model parity-mlp}), used
     * for a parity-mlp cell where no defaults block or the cell names the field.
     */
    private static final Map<String, Object> PARITY_BUILT_IN = Map.of("hidden", 512, "t_int", 1000, "parity_n", 30, "parity_k", 3,
            "parity_m", 1000, "parity_test", 2000);
    private static final List<String> MODULAR_FIELDS = List.of("p", "train_frac", "d");
    private static final List<String> PARITY_FIELDS = List.of("parity_n", "parity_k", "parity_m", "parity_test");

    private StudyFile() {
    }

    /** Thrown for a study file that cannot be used; the message names the field. */
    public static final class InvalidStudyException extends IllegalArgumentException {
        public InvalidStudyException(String message) {
            super(message);
        }
    }

    /** The text of a built-in preset. */
    public static String presetText(String name) {
        if (!PRESETS.contains(name)) throw new InvalidStudyException("no preset '" + name + "': the presets are " + String.join(", ", PRESETS)
                + " (or give the path of a study file)");
        try (InputStream in = StudyFile.class.getResourceAsStream("/dev/normclock/presets/" + name + ".yaml")) {
            if (in == null) throw new IllegalStateException("preset " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("reading preset " + name + ": " + e.getMessage(), e);
        }
    }

    /** A preset by name, or else a study file by path. */
    public static StudyPlan load(String presetOrPath) {
        if (PRESETS.contains(presetOrPath)) return parse(presetText(presetOrPath), "preset " + presetOrPath);
        Path file = Path.of(presetOrPath);
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new InvalidStudyException("no preset or study file '" + presetOrPath + "': the presets are " + String.join(", ", PRESETS));
        } catch (IOException e) {
            throw new InvalidStudyException("cannot read study file " + file + ": " + e.getMessage());
        }
    }

    public static StudyPlan parse(String text, String origin) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidStudyException(origin + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (root == null || !root.isObject()) throw new InvalidStudyException(origin + ": expected a mapping with study, experiments, …");
        checkFields(root, STUDY_FIELDS, "", origin);
        String name = text(root, "study", "", origin, true);
        String description = text(root, "description", "", origin, false);
        long baseKey = root.has("base_key") ? integer(root.get("base_key"), "base_key", origin, 0, Long.MAX_VALUE) : 20260613L;
        ObjectNode defaults = mapping(root, "defaults", "", origin);
        checkFields(defaults, Set.copyOf(CELL_FIELDS), "defaults.", origin);
        JsonNode exps = root.get("experiments");
        if (exps == null || !exps.isArray() || exps.isEmpty())
            throw new InvalidStudyException(origin + ": experiments: give a list of at least one experiment");
        List<ExperimentPlan> experiments = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < exps.size(); i++) {
            String at = "experiments[" + i + "].";
            JsonNode e = exps.get(i);
            if (!e.isObject()) throw new InvalidStudyException(origin + ": " + at.substring(0, at.length() - 1) + ": expected a mapping");
            checkFields(e, EXPERIMENT_FIELDS, at, origin);
            String expName = text(e, "name", at, origin, true);
            if (!expName.matches("[A-Za-z0-9_-]+"))
                throw new InvalidStudyException(origin + ": " + at + "name: letters, digits, _ and - only; got '" + expName + "'");
            if (!names.add(expName)) throw new InvalidStudyException(origin + ": " + at + "name: '" + expName + "' names two experiments");
            AnalysisKind kind;
            try {
                kind = e.has("analysis") ? AnalysisKind.parse(e.get("analysis").asText()) : AnalysisKind.NONE;
            } catch (IllegalArgumentException x) {
                throw new InvalidStudyException(origin + ": " + at + "analysis: " + x.getMessage());
            }
            String reference = e.has("reference") ? e.get("reference").asText() : null;
            ObjectNode expDefaults = mapping(e, "defaults", at, origin);
            checkFields(expDefaults, Set.copyOf(CELL_FIELDS), at + "defaults.", origin);
            JsonNode cells = e.get("cells");
            if (cells == null || !cells.isArray() || cells.isEmpty())
                throw new InvalidStudyException(origin + ": " + at + "cells: give a list of at least one cell");
            List<CellPlan> plans = new ArrayList<>();
            for (int j = 0; j < cells.size(); j++) {
                String cat = at + "cells[" + j + "]";
                JsonNode c = cells.get(j);
                if (!c.isObject()) throw new InvalidStudyException(origin + ": " + cat + ": expected a mapping");
                checkFields(c, Set.copyOf(CELL_FIELDS), cat + ".", origin);
                Map<String, JsonNode> merged = new LinkedHashMap<>();
                BUILT_IN.forEach((k, v) -> merged.put(k, YAML.valueToTree(v)));
                defaults.fields().forEachRemaining(f -> merged.put(f.getKey(), f.getValue()));
                expDefaults.fields().forEachRemaining(f -> merged.put(f.getKey(), f.getValue()));
                c.fields().forEachRemaining(f -> merged.put(f.getKey(), f.getValue()));
                Set<String> given = new java.util.HashSet<>(), local = new java.util.HashSet<>();
                defaults.fieldNames().forEachRemaining(given::add);
                expDefaults.fieldNames().forEachRemaining(local::add);
                c.fieldNames().forEachRemaining(local::add);
                given.addAll(local);
                for (Map<String, JsonNode> one : expand(merged, cat, origin)) {
                    if (one.get("model").asText().equals(dev.normclock.model.ModelKind.PARITY_MLP.label))
                        PARITY_BUILT_IN.forEach((k, v) -> {
                            if (!given.contains(k)) one.put(k, YAML.valueToTree(v));
                        });
                    plans.add(cell(expName, one, local, cat, origin));
                }
            }
            if (kind == AnalysisKind.SCALING && plans.stream().anyMatch(CellPlan::isParity))
                throw new InvalidStudyException(origin + ": " + at + "analysis: scaling fits the delay law across p, which sparse-parity "
                        + "cells do not have; use delay_law (one fit per parity_n, parity_k, parity_m)");
            Set<String> ids = new java.util.HashSet<>();
            for (CellPlan cp : plans)
                if (!ids.add(cp.id())) throw new InvalidStudyException(origin + ": " + at + "cells: two cells are both '" + cp.id()
                        + "' (give them different settings or ids)");
            for (CellPlan cp : plans)
                if (!Double.isNaN(cp.allocGamma()) && plans.stream().noneMatch(x -> x.isControlOf(cp)))
                    throw new InvalidStudyException(origin + ": " + at + "cells: allocation cell " + cp.id() + " takes its shares of E, W1 and W2 "
                            + "from a free control with " + cp.taskFields() + ", hidden=" + cp.hidden() + ", weight_decay=" + cp.weightDecay()
                            + ", lr=" + cp.controlLr() + ", temperature=" + cp.controlTemperature() + " in experiment '" + expName
                            + "': add that free cell (e.g. {arm: free, max_steps: 60000})");
            for (int j = 0; j < plans.size(); j++) {
                CellPlan cp = plans.get(j);
                if (!cp.arm().needsWc() || !Double.isNaN(cp.wc())) continue;
                if (plans.stream().noneMatch(x -> x.isControlOf(cp)))
                    throw new InvalidStudyException(origin + ": " + at + "cells: " + cp.arm().label() + " cell " + cp.id()
                            + " needs the Wc of a free control with " + cp.taskFields()
                            + ", hidden=" + cp.hidden() + ", weight_decay=" + cp.weightDecay() + ", lr=" + cp.controlLr() + ", temperature=" + cp.controlTemperature()
                            + " in experiment '" + expName + "': add that free cell, or give the cell a fixed wc");
            }
            experiments.add(new ExperimentPlan(expName, kind, reference, text(e, "description", at, origin, false), List.copyOf(plans)));
        }
        return new StudyPlan(name, description, baseKey, List.copyOf(experiments), text);
    }

    /** Every combination of the list-valued fields (seeds excepted), in field order. */
    private static List<Map<String, JsonNode>> expand(Map<String, JsonNode> fields, String at, String origin) {
        List<Map<String, JsonNode>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        boolean expanded = false;
        for (String key : CELL_FIELDS) {
            JsonNode v = fields.get(key);
            if (v == null) continue;
            if (v.isArray() && !key.equals("seeds")) {
                if (v.isEmpty()) throw new InvalidStudyException(origin + ": " + at + "." + key + ": an empty list");
                expanded |= v.size() > 1;
                List<Map<String, JsonNode>> next = new ArrayList<>();
                for (Map<String, JsonNode> partial : out)
                    for (JsonNode item : v) {
                        Map<String, JsonNode> m = new LinkedHashMap<>(partial);
                        m.put(key, item);
                        next.add(m);
                    }
                out = next;
            } else {
                for (Map<String, JsonNode> partial : out) partial.put(key, v);
            }
        }
        if (expanded && fields.containsKey("id"))
            throw new InvalidStudyException(origin + ": " + at + ".id: a cell that expands into several cannot have one id");
        return out;
    }

    /**
     * One cell from its merged fields. {@code local}: the fields its experiment's defaults or the
     * cell itself name — a field of the other task there is a mistake, whereas the study's defaults
     * serve cells of every model.
     */
    private static CellPlan cell(String experiment, Map<String, JsonNode> f, Set<String> local, String at, String origin) {
        String pre = at + ".";
        Arm arm;
        if (!f.containsKey("arm")) throw new InvalidStudyException(origin + ": " + pre + "arm: missing (free, clamp, rescale, fork or scale)");
        try {
            arm = Arm.parse(f.get("arm").asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(origin + ": " + pre + "arm: " + e.getMessage());
        }
        String model = f.get("model").asText();
        dev.normclock.model.ModelKind kind;
        try {
            kind = dev.normclock.model.ModelKind.of(model);
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(origin + ": " + pre + "model: must be " + dev.normclock.model.ModelKind.choices() + "; got '" + model + "'");
        }
        boolean isParity = !kind.modularAddition;
        for (String k : isParity ? MODULAR_FIELDS : PARITY_FIELDS)
            if (local.contains(k))
                throw new InvalidStudyException(origin + ": " + pre + k + (isParity
                        ? ": the parity-mlp model learns sparse parity, which has no p, train_frac or d; give parity_n, parity_k, parity_m, parity_test"
                        : ": applies to model: parity-mlp only; this cell's model is " + model));
        int p = 0, d = 0;
        double trainFrac = Double.NaN;
        SparseParity parity = null;
        if (isParity) {
            parity = parity(f, pre, origin);
        } else {
            p = (int) integer(required(f, "p", pre, origin), pre + "p", origin, 2, 100_000);
            trainFrac = real(f.get("train_frac"), pre + "train_frac", origin, 0, 1, false);
            d = (int) integer(f.get("d"), pre + "d", origin, 1, 65_536);
        }
        int hidden = (int) integer(f.get("hidden"), pre + "hidden", origin, 1, 65_536);
        double lr = real(f.get("lr"), pre + "lr", origin, 0, Double.MAX_VALUE, false);
        double wd = real(f.get("weight_decay"), pre + "weight_decay", origin, 0, Double.MAX_VALUE, true);
        String order = f.get("decay_order").asText();
        if (!order.equals("before") && !order.equals("after"))
            throw new InvalidStudyException(origin + ": " + pre + "decay_order: must be before (Paper A) or after (Paper B); got '" + order + "'");
        double rho = Double.NaN;
        if (arm == Arm.FREE) {
            if (f.containsKey("rho") && !f.get("rho").isNull())
                throw new InvalidStudyException(origin + ": " + pre + "rho: a free cell has no clamp; remove rho or set arm: clamp");
        } else {
            rho = real(required(f, "rho", pre, origin), pre + "rho", origin, 0, 100, false);
        }
        double wc = f.containsKey("wc") ? real(f.get("wc"), pre + "wc", origin, 0, Double.MAX_VALUE, false) : Double.NaN;
        if (f.containsKey("clamp_group") && Double.isNaN(wc) && arm.needsWc()
                && f.get("model") != null && f.get("model").asText().equals(dev.normclock.model.ModelKind.ATTENTION.label)
                && (f.get("clamp_group").asText().equals("attn") || f.get("clamp_group").asText().equals("mlp")))
            throw new InvalidStudyException(origin + ": " + pre + "clamp_group: " + f.get("clamp_group").asText()
                    + " of the attention model needs a fixed wc: its norm at grok is recorded only with the other layer group's");
        double wcLr = f.containsKey("wc_lr") ? real(f.get("wc_lr"), pre + "wc_lr", origin, 0, Double.MAX_VALUE, false) : Double.NaN;
        double wcTau = f.containsKey("wc_temperature") ? real(f.get("wc_temperature"), pre + "wc_temperature", origin, 0, 1e6, false) : Double.NaN;
        int tInt = (int) integer(f.get("t_int"), pre + "t_int", origin, 1, Integer.MAX_VALUE);
        int maxSteps = (int) integer(required(f, "max_steps", pre, origin), pre + "max_steps", origin, 1, 100_000_000);
        if (arm != Arm.FREE && maxSteps < tInt)
            throw new InvalidStudyException(origin + ": " + pre + "max_steps: " + maxSteps + " ends before the clamp starts at t_int=" + tInt);
        int[] seeds = seeds(f.getOrDefault("seeds", YAML.valueToTree(16)), pre + "seeds", origin);
        String grid = f.get("eval_grid").asText();
        try {
            EvalSchedule.parse(grid, maxSteps);
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(origin + ": " + pre + "eval_grid: " + e.getMessage());
        }
        int window = (int) integer(f.get("retire_window"), pre + "retire_window", origin, 0, Integer.MAX_VALUE);
        double biasStd = real(f.get("bias_std"), pre + "bias_std", origin, 0, 1e6, true);
        double tau = real(f.get("temperature"), pre + "temperature", origin, 0, 1e6, false);
        String loss = f.get("loss").asText();
        if (!loss.equals("ce") && !loss.equals("mse"))
            throw new InvalidStudyException(origin + ": " + pre + "loss: must be ce or mse; got '" + loss + "'");
        if (!f.get("layer_norm").isBoolean())
            throw new InvalidStudyException(origin + ": " + pre + "layer_norm: must be true or false; got " + show(f.get("layer_norm")));
        boolean layerNorm = f.get("layer_norm").asBoolean();
        if (layerNorm && isParity)
            throw new InvalidStudyException(origin + ": " + pre + "layer_norm: only the attention model has LayerNorms; this cell's model is " + model);
        String group = f.get("clamp_group").asText();
        if (!dev.normclock.train.CellSpec.clampGroups(model).containsKey(group))
            throw new InvalidStudyException(origin + ": " + pre + "clamp_group: must be one of "
                    + String.join(", ", dev.normclock.train.CellSpec.clampGroups(model).keySet().stream().sorted().toList())
                    + " for the " + model + " model; got '" + group + "'");
        double allocGamma = Double.NaN;
        if (f.containsKey("alloc_gamma") && !f.get("alloc_gamma").isNull()) {
            allocGamma = real(f.get("alloc_gamma"), pre + "alloc_gamma", origin, -1, 1e6, false);
            if (arm != Arm.CLAMP)
                throw new InvalidStudyException(origin + ": " + pre + "alloc_gamma: an allocation holds the norm from t_int: it needs arm: clamp (and rho)");
            if (kind != dev.normclock.model.ModelKind.MLP)
                throw new InvalidStudyException(origin + ": " + pre + "alloc_gamma: Paper B's allocation is over the MLP's E, W1 and W2: "
                        + "it needs model: mlp; this cell's model is " + model);
            if (!group.equals("all"))
                throw new InvalidStudyException(origin + ": " + pre + "clamp_group: an allocation holds E, W1 and W2 each at its own target "
                        + "(Paper B's definition), not one group: drop clamp_group");
        }
        Precision precision;
        try {
            precision = Precision.parse(f.get("precision").asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(origin + ": " + pre + "precision: must be float32 or float64; got " + show(f.get("precision")));
        }
        if (!isParity) {
            try {
                new ModularAddition(p, trainFrac);
                new MlpShape(p, d, hidden);
                new dev.normclock.model.ModularPopulation.Kind(model, p, d, hidden, layerNorm);
            } catch (IllegalArgumentException e) {
                throw new InvalidStudyException(origin + ": " + at + ": " + e.getMessage());
            }
        }
        String until = f.get("until").asText(), wcNorm = f.get("wc_norm").asText();
        if (!until.equals("seed") && !until.equals("cell"))
            throw new InvalidStudyException(origin + ": " + pre + "until: must be seed (each seed stops once it has grokked, Paper A) or cell "
                    + "(every seed trains until all of its cell have, Paper B); got '" + until + "'");
        if (!wcNorm.equals("at_grok") && !wcNorm.equals("final"))
            throw new InvalidStudyException(origin + ": " + pre + "wc_norm: must be at_grok (Wc = median norm at T_grok, Paper A) or final "
                    + "(median norm at the last step, Paper B); got '" + wcNorm + "'");
        String id = f.containsKey("id") ? f.get("id").asText() : (isParity
                ? CellPlan.defaultParityId(arm, parity, hidden, lr, wd, rho, tau, loss.equals("mse"), group)
                : CellPlan.defaultId(arm, p, trainFrac, d, hidden, lr, wd, rho, tau, loss.equals("mse"), group, model, layerNorm))
                + CellPlan.idSuffix(allocGamma, precision);
        if (!id.matches("[A-Za-z0-9_.+-]+"))
            throw new InvalidStudyException(origin + ": " + pre + "id: letters, digits and _ . + - only; got '" + id + "'");
        return new CellPlan(experiment, id, arm, p, trainFrac, d, hidden, lr, wd, order.equals("after"), rho, wc, wcLr, wcTau, tInt, maxSteps,
                seeds, grid, window, biasStd, tau, loss.equals("mse"), dev.normclock.train.CellSpec.clampGroups(model).get(group), model,
                layerNorm, parity, allocGamma, precision, until.equals("cell"), wcNorm.equals("final"));
    }

    /** A parity-mlp cell's task: n bits, k of them relevant, m training and some test points. */
    private static SparseParity parity(Map<String, JsonNode> f, String pre, String origin) {
        int n = (int) integer(required(f, "parity_n", pre, origin), pre + "parity_n", origin, 1, 65_536);
        int k = (int) integer(required(f, "parity_k", pre, origin), pre + "parity_k", origin, 1, Integer.MAX_VALUE);
        if (k > n) throw new InvalidStudyException(origin + ": " + pre + "parity_k: the relevant bits are among the parity_n = " + n
                + " input bits, so k must be from 1 to " + n + "; got " + k);
        int m = (int) integer(required(f, "parity_m", pre, origin), pre + "parity_m", origin, 1, Integer.MAX_VALUE);
        int test = (int) integer(required(f, "parity_test", pre, origin), pre + "parity_test", origin, 1, Integer.MAX_VALUE);
        try {
            return new SparseParity(n, k, m, test);
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(origin + ": " + pre.substring(0, pre.length() - 1) + ": " + e.getMessage());
        }
    }

    private static int[] seeds(JsonNode v, String at, String origin) {
        if (v.isArray()) {
            int[] s = new int[v.size()];
            for (int i = 0; i < s.length; i++) s[i] = (int) integer(v.get(i), at + "[" + i + "]", origin, 0, Integer.MAX_VALUE);
            if (s.length == 0) throw new InvalidStudyException(origin + ": " + at + ": list at least one seed");
            if (java.util.Arrays.stream(s).distinct().count() != s.length)
                throw new InvalidStudyException(origin + ": " + at + ": a seed is listed twice");
            return s;
        }
        int n = (int) integer(v, at, origin, 1, 100_000);
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    private static JsonNode required(Map<String, JsonNode> f, String key, String pre, String origin) {
        JsonNode v = f.get(key);
        if (v == null || v.isNull()) throw new InvalidStudyException(origin + ": " + pre + key + ": missing");
        return v;
    }

    private static long integer(JsonNode v, String at, String origin, long min, long max) {
        if (v == null || !v.canConvertToLong() || !(v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))))
            throw new InvalidStudyException(origin + ": " + at + ": must be a whole number from " + min + " to " + max + "; got " + show(v));
        long x = v.asLong();
        if (x < min || x > max)
            throw new InvalidStudyException(origin + ": " + at + ": must be a whole number from " + min + " to " + max + "; got " + x);
        return x;
    }

    private static double real(JsonNode v, String at, String origin, double lo, double hi, boolean loInclusive) {
        if (v == null || !v.isNumber())
            throw new InvalidStudyException(origin + ": " + at + ": must be a number; got " + show(v));
        double x = v.asDouble();
        boolean ok = Double.isFinite(x) && (loInclusive ? x >= lo : x > lo) && x < hi;
        if (!ok) throw new InvalidStudyException(origin + ": " + at + ": must be " + (loInclusive ? "≥ " : "> ") + lo
                + (hi < 1e300 ? " and < " + hi : "") + "; got " + x);
        return x;
    }

    private static String show(JsonNode v) {
        return v == null ? "nothing" : v.isTextual() ? "'" + v.asText() + "'" : v.toString();
    }

    private static String text(JsonNode n, String key, String at, String origin, boolean required) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) throw new InvalidStudyException(origin + ": " + at + key + ": missing");
            return "";
        }
        if (!v.isValueNode()) throw new InvalidStudyException(origin + ": " + at + key + ": must be text");
        return v.asText();
    }

    private static ObjectNode mapping(JsonNode n, String key, String at, String origin) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return YAML.createObjectNode();
        if (!v.isObject()) throw new InvalidStudyException(origin + ": " + at + key + ": must be a mapping of cell fields");
        return (ObjectNode) v;
    }

    private static void checkFields(JsonNode n, Set<String> allowed, String at, String origin) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (REMOVED_FIELDS.containsKey(k)) throw new InvalidStudyException(origin + ": " + at + k + ": " + REMOVED_FIELDS.get(k));
            if (!allowed.contains(k))
                throw new InvalidStudyException(origin + ": " + at + k + ": unknown field (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
        }
    }
}
