package dev.recall.runtime.io.gguf;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.QuantizedType;
import dev.recall.kernels.WeightType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.progress.ProgressListener;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a model as a GGUF file of one of llama.cpp's file types, choosing each tensor's type by
 * llama.cpp's rules ({@code llama_tensor_get_type} in src/llama-quant.cpp, without an importance
 * matrix): 1-D tensors, norms and the recurrent families' small parameters are F32 (as llama.cpp's
 * converter writes them); the
 * output head (or a tied embedding) takes Q6_K unless the file is Q8_0; the _M mixes give Q6_K to
 * a share of attn_v and ffn_down layers ({@code use_more_bits}); a row length that is not a whole
 * number of blocks falls back as llama.cpp falls back (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, else F16).
 * Blocks are encoded with ggml's reference quantizers ({@link WeightType#fromFloat}), so the file
 * has the bytes llama-quantize would write for the same fp32 weights.
 *
 * <p>It streams: a batch of rows (about 1 MiB encoded) is decoded and encoded at a time, on all
 * threads, into a temporary file renamed over the target at the end, so a failed run leaves no
 * partial file and the model is never in memory twice.
 */
public final class GgufQuantizer {

    /** llama.cpp's file types (llama_ftype) that Recall writes. */
    public enum FileType {
        F32(0, ElementType.F32), F16(1, ElementType.F16), BF16(32, ElementType.BF16), Q8_0(7, QuantizedType.Q8_0),
        Q4_0(2, QuantizedType.Q4_0), Q4_K_M(15, QuantizedType.Q4_K), Q5_K_M(17, QuantizedType.Q5_K),
        Q6_K(18, QuantizedType.Q6_K);

        final int id;
        final WeightType base;

        FileType(int id, WeightType base) {
            this.id = id;
            this.base = base;
        }

        public static FileType parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new RecallException("unknown quantization type '" + s + "' (types: " + java.util.Arrays.toString(values())
                        .replaceAll("[\\[\\]]", "") + ")");
            }
        }
    }

    private GgufQuantizer() {
    }

    /** The type each tensor gets, in file order (llama.cpp's counters run in that order). */
    public static List<WeightType> plan(GgufModelSource source, FileType fileType) {
        List<GgufModelSource.SourceTensor> tensors = source.tensors();
        boolean hasOutput = tensors.stream().anyMatch(t -> t.name().equals("output.weight"));
        int attentionV = (int) tensors.stream().filter(t -> t.name().contains("attn_v.weight")).count();
        int ffnDown = (int) tensors.stream().filter(t -> t.name().contains("ffn_down")).count();
        int iAttentionV = 0;
        int iFfnDown = 0;
        List<WeightType> plan = new ArrayList<>();
        boolean mix = fileType == FileType.Q4_K_M || fileType == FileType.Q5_K_M;
        for (GgufModelSource.SourceTensor t : tensors) {
            if (!quantizable(t)) {
                plan.add(convertedAsF32(t) ? ElementType.F32 : t.stored());
                continue;
            }
            WeightType type = fileType.base;
            if (type instanceof QuantizedType) {
                int cols = t.cols();
                if (t.name().equals("output.weight") || (!hasOutput && t.name().equals("token_embd.weight"))) {
                    type = cols % type.blockElements() != 0 || type == QuantizedType.Q8_0 ? QuantizedType.Q8_0 : QuantizedType.Q6_K;
                } else if (t.name().contains("attn_v.weight")) {
                    if (mix && useMoreBits(iAttentionV, attentionV)) {
                        type = QuantizedType.Q6_K;
                    }
                    iAttentionV++;
                } else if (t.name().contains("ffn_down")) {
                    if (mix && useMoreBits(iFfnDown, ffnDown)) {
                        type = QuantizedType.Q6_K;
                    }
                    iFfnDown++;
                }
                type = fallback(type, cols);
            }
            plan.add(type);
        }
        return plan;
    }

    private static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** tensor_type_fallback: a type whose blocks do not divide the rows. */
    private static WeightType fallback(WeightType type, int cols) {
        if (cols % type.blockElements() == 0) {
            return type;
        }
        WeightType next = type == QuantizedType.Q4_K ? QuantizedType.Q5_0
                : type == QuantizedType.Q5_K ? QuantizedType.Q5_1
                : type == QuantizedType.Q6_K ? QuantizedType.Q8_0 : type;
        return cols % next.blockElements() == 0 ? next : ElementType.F16;
    }

    /**
     * The tensors llama.cpp's converter always writes as F32 whatever the checkpoint's dtype
     * (conversion/base.py): vectors, norms, parameters not named "….weight" (Mamba's ssm_a and ssm_d),
     * and the convolution and RWKV mixing tensors its kernels read as fp32 only.
     */
    static boolean convertedAsF32(GgufModelSource.SourceTensor t) {
        String name = t.name();
        if (t.dims() == 1 || name.endsWith("_norm.weight") || !name.endsWith(".weight")) {
            return true;
        }
        for (String p : new String[] {"ssm_conv1d", "time_mix_first", "time_mix_w1", "time_mix_w2", "time_mix_decay_w1",
                "time_mix_decay_w2", "time_mix_lerp_fused"}) {
            if (name.contains(p + ".")) {
                return true;
            }
        }
        return false;
    }

    /** tensor_allows_quantization for the architectures Recall writes. */
    static boolean quantizable(GgufModelSource.SourceTensor t) {
        String name = t.name();
        if (t.dims() < 2 || !name.endsWith("weight") || name.contains("_norm.weight") || name.contains("ssm_conv1d")) {
            return false;
        }
        for (String p : new String[] {"time_mix_first", "time_mix_w0", "time_mix_w1", "time_mix_w2", "time_mix_v0",
                "time_mix_v1", "time_mix_v2", "time_mix_a0", "time_mix_a1", "time_mix_a2", "time_mix_g1", "time_mix_g2",
                "time_mix_decay_w1", "time_mix_decay_w2", "time_mix_lerp_fused"}) {
            if (name.contains(p + ".weight")) {
                return false;
            }
        }
        return true;
    }

    /** Writes the source as {@code out}, of the given file type. */
    public static void write(GgufModelSource source, FileType fileType, Path out, ProgressListener progress) {
        List<WeightType> plan = plan(source, fileType);
        GgufWriter writer = new GgufWriter();
        source.metadata().forEach((k, v) -> {
            if (!k.equals("general.file_type") && !k.equals("general.quantization_version")) {
                writer.put(k, v);
            }
        });
        writer.put("general.file_type", GgufWriter.Value.u32(fileType.id));
        writer.put("general.quantization_version", GgufWriter.Value.u32(2));
        long totalRows = 0;
        for (GgufModelSource.SourceTensor t : source.tensors()) {
            totalRows += t.rowCount();
        }
        long[] done = {0};
        long total = totalRows;
        for (int i = 0; i < source.tensors().size(); i++) {
            GgufModelSource.SourceTensor t = source.tensors().get(i);
            WeightType type = plan.get(i);
            writer.tensor(t.name(), GgmlType.of(type), t.shape(), stream -> {
                // A batch of rows (about 1 MiB encoded) at a time, its rows encoded on all threads:
                // each row's bytes depend on that row alone, so the file is the same on any thread count.
                int cols = t.cols();
                int rowBytes = (int) type.rowBytes(cols);
                int batch = Math.max(1, Math.min(t.rowCount(), (1 << 20) / Math.max(1, rowBytes)));
                byte[] encoded = new byte[batch * rowBytes];
                for (int r0 = 0; r0 < t.rowCount(); r0 += batch) {
                    int start = r0;
                    int n = Math.min(batch, t.rowCount() - r0);
                    Parallel.forRange(n, Math.max(1, n / (4 * Parallel.threads())), (from, to) -> {
                        float[] row = new float[cols];
                        for (int k = from; k < to; k++) {
                            t.rows().row(start + k, row);
                            type.fromFloat(row, 0, cols, encoded, k * rowBytes);
                        }
                    });
                    stream.write(encoded, 0, n * rowBytes);
                    done[0] += n;
                    progress.update(done[0], total, "rows");
                }
            });
        }
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + ".tmp");
        try {
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writer.write(stream);
            }
            progress.update(total, total, "rows");
            progress.finish();
            try {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new RecallException("cannot write " + out + ": " + IoErrors.describe(e), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the rename moved it, or the directory is unwritable and there is nothing to remove
            }
        }
    }
}
