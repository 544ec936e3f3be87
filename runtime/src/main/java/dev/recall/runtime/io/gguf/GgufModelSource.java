package dev.recall.runtime.io.gguf;

import dev.recall.kernels.WeightMatrix;
import dev.recall.kernels.WeightType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model as a GGUF file holds it: typed metadata, and tensors under GGUF names (rows first), each
 * readable row by row as fp32. It comes from a GGUF file as it is, or from a model directory
 * through its family, which names the tensors and writes the metadata llama.cpp expects.
 *
 * @param owner     what keeps the tensors' memory alive (the open files); closed with the source
 * @param tokenizer null, or why the model's tokenizer could not be written (the file then says
 *                  {@code tokenizer.ggml.model = "none"})
 */
public record GgufModelSource(Map<String, GgufWriter.Value> metadata, List<SourceTensor> tensors, AutoCloseable owner,
                              String tokenizer) implements AutoCloseable {

    /** Row r of a tensor (rows first: every dimension but the last, flattened) as fp32. */
    @FunctionalInterface
    public interface RowReader {
        void row(int r, float[] out);
    }

    /**
     * One tensor to write.
     *
     * @param stored the type it is stored in now, which 1-D and excluded tensors keep
     */
    public record SourceTensor(String name, long[] shape, WeightType stored, RowReader rows) {

        public int cols() {
            return shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        }

        public int rowCount() {
            long n = 1;
            for (int i = 0; i < shape.length - 1; i++) {
                n *= shape[i];
            }
            return Math.toIntExact(n);
        }

        /** ggml_n_dims: the dimensions up to the last one larger than 1. */
        public int dims() {
            int n = shape.length;
            while (n > 1 && shape[shape.length - n] == 1) {
                n--;
            }
            return Math.max(1, n);
        }

        /** A tensor read as it is stored, row by row. */
        public static SourceTensor of(String name, Tensor t) {
            WeightType type = t.weightType();
            long[] shape = t.shape().length == 0 ? new long[] {1} : t.shape();
            int cols = Math.toIntExact(shape[shape.length - 1]);
            long rows = t.numel() / Math.max(1, cols);
            WeightMatrix m = new WeightMatrix(t.data(), type, Math.toIntExact(rows), cols);
            return new SourceTensor(name, shape, type, (r, out) -> m.row(r, out, 0));
        }
    }

    /** A GGUF file's tensors and metadata as they are (for re-quantizing it). */
    public static GgufModelSource of(GgufFile file) {
        Map<String, GgufWriter.Value> metadata = new LinkedHashMap<>(file.typedMetadata());
        metadata.remove("general.alignment");
        List<SourceTensor> tensors = new ArrayList<>();
        for (Tensor t : file.tensors().values()) {
            if (t.type() == null) {
                throw new RecallException(file.path().getFileName() + ": tensor " + t.name() + " is stored as "
                        + t.typeName() + ", which Recall cannot read to quantize again");
            }
            tensors.add(SourceTensor.of(t.name(), t));
        }
        return new GgufModelSource(metadata, tensors, file, null);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new RecallException("cannot close the model files: " + e.getMessage(), e);
        }
    }
}
