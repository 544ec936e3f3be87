package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Models compute with the kernels they are loaded with: every family meets its golden reference on
 * the scalar kernels too (the reference implementation, given at load instead of looked up), and a
 * weight type the kernels cannot compute with is refused at load, naming the tensor.
 */
class KernelChoiceTest {

    /** The fp32 golden cases (llama-bf16's reference differs in its RoPE frequencies: LlamaGoldenTest). */
    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/llama3-rope", "golden/qwen2", "golden/mamba", "golden/falcon-mamba",
            "golden/recurrent-gemma", "golden/recurrent-gemma-w64", "golden/rwkv6"})
    void everyFamilyMeetsItsGoldenOnTheScalarKernels(String name) {
        GoldenCheck.checkCase(SharedData.resource(name), KernelProvider.scalar());
    }

    /** The zoo models' weights are BF16: the scalar kernels' BF16 decoding through every family. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba", "recurrent-gemma", "rwkv6"})
    void everyBf16ZooModelMeetsItsLogitsOnTheScalarKernels(String name) {
        GoldenCheck.checkZooLogits(SharedData.zoo().resolve(name), KernelProvider.scalar());
    }

    @Test
    void aWeightTypeWithoutAKernelIsRefusedAtLoadByName() {
        Kernels withoutBf16 = refusing(ElementType.BF16);
        var e = assertThrows(RecallException.class,
                () -> ModelLoader.load(SharedData.resource("golden/llama-bf16"), withoutBf16).close());
        assertEquals("tensor lm_head.weight is stored as BF16, which the scalar kernels cannot compute with",
                e.getMessage());
        // The same kernels load an F32 model.
        ModelLoader.load(SharedData.resource("golden/llama"), withoutBf16).close();
    }

    /** The scalar kernels, except that they claim not to support {@code type}. */
    private static Kernels refusing(ElementType type) {
        Kernels scalar = KernelProvider.scalar();
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("supports")) {
                        return args[0] != type;
                    }
                    try {
                        return method.invoke(scalar, args);
                    } catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });
    }
}
