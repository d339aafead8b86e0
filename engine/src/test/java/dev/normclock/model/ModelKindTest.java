package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;


/** The model kinds: names, tasks, clamp groups that point at the populations' own tensors, and clear errors. */
class ModelKindTest {

    @Test
    void namesTasksAndPaperClampStarts() {
        assertEquals(List.of("mlp", "attention", "parity-mlp"), java.util.Arrays.stream(ModelKind.values()).map(k -> k.label).toList());
        assertEquals("mlp, attention or parity-mlp", ModelKind.choices());
        assertTrue(ModelKind.MLP.modularAddition && ModelKind.ATTENTION.modularAddition && !ModelKind.PARITY_MLP.modularAddition);
        assertEquals(List.of(500, 600, 1000), java.util.Arrays.stream(ModelKind.values()).map(k -> k.paperClampFrom).toList());
        assertTrue(ModelKind.ATTENTION.takesLayerNorm() && !ModelKind.MLP.takesLayerNorm());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelKind.of("transformer"));
        assertEquals("the model must be mlp, attention or parity-mlp; got 'transformer'", e.getMessage());
    }

    @Test
    void clampGroupsNameTheTensorsTheirPopulationsClamp() {
        assertEquals("all, E, W1 or W2", ModelKind.MLP.groupChoices());
        assertEquals("all, embed, attn, mlp or unembed", ModelKind.ATTENTION.groupChoices());
        assertEquals("all, W1 or W2", ModelKind.PARITY_MLP.groupChoices());
        try (MlpPopulation mlp = new MlpPopulation(new MlpShape(5, 4, 8), 1, 10)) {
            assertEquals(mlp.w1, mlp.params[ModelKind.MLP.clampGroup("W1")]);
            assertEquals(mlp.w2, mlp.params[ModelKind.MLP.clampGroup("W2")]);
            assertEquals(mlp.emb, mlp.params[ModelKind.MLP.clampGroup("E")]);
        }
        try (ParityPopulation parity = new ParityPopulation(6, 8, 1, 10, 5)) {
            assertEquals(parity.w1, parity.params[ModelKind.PARITY_MLP.clampGroup("W1")]);
            assertEquals(parity.w2, parity.params[ModelKind.PARITY_MLP.clampGroup("W2")]);
        }
        for (String g : List.of("embed", "attn", "mlp", "unembed"))
            assertEquals(AttentionPopulation.GROUP_NAMES[ModelKind.ATTENTION.clampGroup(g)], g);
        assertEquals(-1, ModelKind.MLP.clampGroup("all"));
        assertEquals("W2", ModelKind.MLP.clampGroupName(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelKind.PARITY_MLP.clampGroup("E"));
        assertEquals("--clamp-group must be all, W1 or W2 for the parity-mlp model; got 'E'", e.getMessage());
    }
}
