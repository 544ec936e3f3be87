package dev.recall.models.rwkv6;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;

import java.util.List;

/**
 * The tensors of an RWKV-6 checkpoint, looked up by their Hugging Face names
 * ({@code rwkv.blocks.0.attention.key.weight}). Checkpoints converted from the native {@code .pth}
 * files name the same tensors differently ({@code blocks.0.att.key.weight}); one table of renames
 * maps a Hugging Face name to the native one, so the loader has a single code path.
 */
final class Rwkv6Tensors {

    /** Hugging Face name fragment → native fragment, applied in order to a name without "rwkv.". */
    private static final List<String[]> NATIVE_RENAMES = List.of(
            new String[]{"embeddings.", "emb."},
            new String[]{"blocks.0.pre_ln.", "blocks.0.ln0."},
            new String[]{".attention.", ".att."},
            new String[]{".feed_forward.", ".ffn."});

    private static final String HF_PREFIX = "rwkv.";

    private final Weights weights;
    private final boolean nativeNames;

    Rwkv6Tensors(Weights weights) {
        this.weights = weights;
        if (weights.has("rwkv.embeddings.weight")) {
            nativeNames = false;
        } else if (weights.has("emb.weight")) {
            nativeNames = true;
        } else {
            throw new RecallException("not an RWKV-6 checkpoint: found neither rwkv.embeddings.weight (Hugging Face layout) nor emb.weight (native layout)");
        }
    }

    /** The stored name of the tensor the Hugging Face layout calls {@code hfName}. */
    String storedName(String hfName) {
        if (!nativeNames) {
            return hfName;
        }
        String name = hfName.startsWith(HF_PREFIX) ? hfName.substring(HF_PREFIX.length()) : hfName;
        for (String[] rename : NATIVE_RENAMES) {
            name = name.replace(rename[0], rename[1]);
        }
        return name;
    }

    boolean has(String hfName) {
        return weights.has(storedName(hfName));
    }

    Tensor tensor(String hfName) {
        return weights.get(storedName(hfName));
    }

    /** A 2-D weight stored {@code [rows, cols]}, viewed in place. */
    WeightMatrix matrix(String hfName, int rows, int cols) {
        return tensor(hfName).expectShape(rows, cols).matrix();
    }

    /** A small tensor of n elements (any shape, e.g. {@code [1, 1, C]} or {@code [H, S]}) copied to fp32. */
    float[] vector(String hfName, int n) {
        Tensor t = tensor(hfName);
        if (t.numel() != n) {
            throw new RecallException("tensor " + t.name() + " has shape " + t.shapeString() + ", expected " + n + " elements");
        }
        return t.toFloats();
    }

    /**
     * A matrix stored {@code [in, out]} (used as {@code x @ W}) transposed once into an fp32
     * {@code [out, in]} matrix, the orientation {@link dev.recall.kernels.Kernels#matmul} takes.
     * Only the small low-rank mixing matrices are stored this way.
     */
    WeightMatrix inOutMatrix(String hfName, int in, int out) {
        float[] stored = tensor(hfName).expectShape(in, out).toFloats();
        return transpose(stored, 0, in, out);
    }

    /** A stored {@code [count, in, out]} stack of {@code x @ W} matrices, each transposed as above. */
    WeightMatrix[] inOutMatrices(String hfName, int count, int in, int out) {
        float[] stored = tensor(hfName).expectShape(count, in, out).toFloats();
        WeightMatrix[] matrices = new WeightMatrix[count];
        for (int m = 0; m < count; m++) {
            matrices[m] = transpose(stored, m * in * out, in, out);
        }
        return matrices;
    }

    private static WeightMatrix transpose(float[] stored, int offset, int in, int out) {
        float[] transposed = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                transposed[o * in + i] = stored[offset + i * out + o];
            }
        }
        return WeightMatrix.ofFloats(transposed, out, in);
    }
}
