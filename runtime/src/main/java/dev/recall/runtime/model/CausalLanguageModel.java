package dev.recall.runtime.model;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every family's model shares: checking the states and tokens of a batch before anything
 * runs, cutting each sequence into the pieces the family computes at once, stacking the pieces of
 * all sequences into one pass of rows, and, for each pass, the token embedding, the loop over the
 * layers, each piece's state advanced by its tokens, the final norm and the output head on the rows
 * that want logits, which are handed to their sequences. The model's {@link ModelInfo} is read here
 * from the checkpoint and these parts. A family supplies its layer ({@link #layer}), its state and
 * what it states about itself ({@link Facts}).
 *
 * <p>Each sequence is cut exactly as it would be alone (pieces of {@link #pieceLength()} tokens),
 * and every product gives each piece the bits it would get alone ({@link Rows}), so a sequence's
 * logits never depend on what else is in its batch.
 *
 * @param <S> the family's state
 */
public abstract class CausalLanguageModel<S extends AbstractModelState> implements LanguageModel {

    protected final Kernels kernels;
    private final Checkpoint checkpoint;
    private final Class<S> stateType;
    private final Ends ends;
    private final ModelInfo info;
    private final Scratch.Pool scratches = new Scratch.Pool();

    /**
     * The parts of a causal LM around its layers: the token embedding table (its columns are the
     * model's width), the final norm and the output head (the same matrix as the embedding when tied).
     */
    public record Ends(WeightMatrix embedding, RowNorm finalNorm, WeightMatrix head) {
    }

    /**
     * What a family states about itself for its {@link ModelInfo}; the rest (architecture, sizes,
     * training length, parameter and byte counts, the dominant weight type, BOS and EOS) is read
     * from the checkpoint and the {@link Ends}.
     *
     * @param family                  short family name ("llama", "mamba", ...)
     * @param layers                  blocks between the embedding and the final norm
     * @param attentionLayers         of those, the attention layers
     * @param windowedAttentionLayers of those, the ones with a window of their own
     */
    public record Facts(String family, int layers, int attentionLayers, int windowedAttentionLayers) {
        /** A pure recurrence: no attention layers. */
        public static Facts recurrent(String family, int layers) {
            return new Facts(family, layers, 0, 0);
        }
    }

    protected CausalLanguageModel(Checkpoint checkpoint, Class<S> stateType, Ends ends, Facts facts) {
        this.kernels = checkpoint.kernels();
        this.checkpoint = checkpoint;
        this.stateType = stateType;
        this.ends = ends;
        this.info = ModelInfo.describe(checkpoint, facts, ends.embedding(), ends.head());
    }

    /**
     * One sequence's share of a pass: its state and tokens[from, to), which occupy rows
     * [rows.start(p), + length) of the pass; its last {@code headRows} rows want logits.
     */
    public record Piece<S>(S state, int[] tokens, int from, int to, int headRows) {
        public int length() {
            return to - from;
        }
    }

    /**
     * One pass through the layers: the pieces, their rows, the rows of the logits (piece p's
     * logits rows are [head.start(p), + head.length(p)), the last head.length(p) of its rows), and
     * each piece's state in piece order (one array for every layer of the pass; read it, do not
     * change it).
     */
    public record Pass<S>(List<Piece<S>> pieces, Rows rows, Rows head, S[] states) {
        public int pieceCount() {
            return pieces.size();
        }

        public Piece<S> piece(int p) {
            return pieces.get(p);
        }

        /** Row of the pass that head row h of piece p comes from. */
        public int headSource(int p, int h) {
            return rows.start(p) + rows.length(p) - head.length(p) + h;
        }
    }

    /** A family's final norm, one row at a time: row {@code from} of x into row {@code to} of out. */
    @FunctionalInterface
    public interface RowNorm {
        void apply(float[] x, int from, float[] out, int to);
    }

    /** Writes each piece's token embeddings (rows of {@code embedding}) into its rows of x. */
    private void embed(Pass<S> pass, WeightMatrix embedding, float[] x) {
        int width = embedding.cols();
        for (int p = 0; p < pass.pieceCount(); p++) {
            Piece<S> piece = pass.piece(p);
            for (int i = 0; i < piece.length(); i++) {
                embedding.row(piece.tokens()[piece.from() + i], x, (pass.rows().start(p) + i) * width);
            }
        }
    }

    /**
     * The logits of the pass's head rows: each through the final norm (from its row of the
     * residual stream x, [rows, width]), then the head product over all of them, each piece with
     * its own arithmetic. Returned in a buffer of {@code scratch}, [head rows, head.rows].
     */
    private float[] headLogits(Pass<S> pass, float[] x, int width, RowNorm norm, WeightMatrix head,
                               Scratch scratch) {
        Rows headRows = pass.head();
        float[] normed = scratch.floats("head.normed", headRows.count() * width);
        for (int p = 0; p < pass.pieceCount(); p++) {
            for (int h = 0; h < headRows.length(p); h++) {
                norm.apply(x, pass.headSource(p, h), normed, headRows.start(p) + h);
            }
        }
        float[] logits = scratch.floats("head.logits", headRows.count() * head.rows());
        headRows.linear(kernels, head, normed, logits);
        return logits;
    }

    /** Most tokens of one sequence that go through the layers at once; longer prompts go piece by piece. */
    protected abstract int pieceLength();

    /** Whether a state of the family's type was made by this model (and not by another of the family). */
    protected abstract boolean owns(S state);

    /**
     * Runs the pass's rows of the residual stream x ([rows, width]) through layer {@code layer}
     * in place, advancing each piece's state at that layer. Activation buffers come from
     * {@code scratch} by name; "model.*" names are the base's.
     */
    protected abstract void layer(int layer, Pass<S> pass, float[] x, Scratch scratch);

    /** What a family does to the embedded rows before the first layer (x holds {@code length} floats); nothing by default. */
    protected void afterEmbedding(float[] x, int length) {
    }

    /** What a family does to the logits after the head ({@code length} floats); nothing by default. */
    protected void afterHead(float[] logits, int length) {
    }

    @Override
    public final ModelInfo info() {
        return info;
    }

    /** Closes the checkpoint's weights: the mapped files. */
    @Override
    public void close() {
        checkpoint.weights().close();
    }

    /**
     * One pass: the embedding of every row, each layer over all rows, each piece's state advanced
     * by its tokens, then the final norm and the head on the head rows. Returns their logits
     * ([pass.head().count(), vocab] in head-row order) in a scratch buffer that the next pass reuses.
     */
    private float[] forward(Pass<S> pass, Scratch scratch) {
        int t = pass.rows().count();
        int width = ends.embedding().cols();
        float[] x = scratch.floats("model.residual", t * width);
        embed(pass, ends.embedding(), x);
        afterEmbedding(x, t * width);
        for (int l = 0; l < info.layers(); l++) {
            layer(l, pass, x, scratch);
        }
        for (Piece<S> piece : pass.pieces()) {
            piece.state().advance(piece.length());
        }
        float[] logits = headLogits(pass, x, width, ends.finalNorm(), ends.head(), scratch);
        afterHead(logits, pass.head().count() * ends.head().rows());
        return logits;
    }

    @Override
    public final float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        return forward(Batch.of(new Sequence(state, tokens, from, to, allLogits))).getFirst();
    }

    @Override
    public final List<float[]> forward(Batch batch) {
        int n = batch.size();
        List<S> states = new ArrayList<>(n);
        for (Sequence s : batch.sequences()) {
            states.add(own(s.state()));
        }
        // Every check before anything runs: a bad sequence leaves the others' states untouched.
        for (int i = 0; i < n; i++) {
            states.get(i).requireOpen();
            Sequence s = batch.get(i);
            LanguageModel.checkTokens(s.tokens(), s.from(), s.to(), ends.embedding().rows());
        }
        int vocab = info().vocabSize();
        float[][] logits = new float[n][];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            Sequence s = batch.get(i);
            next[i] = s.from();
            if (s.allLogits()) {
                logits[i] = new float[s.length() * vocab];
            }
            // One allocation for the call's tokens (callers feeding pieces reserve for all).
            states.get(i).reserve(s.length());
        }
        try (Scratch scratch = scratches.take()) {
            while (true) {
                List<Piece<S>> pieces = new ArrayList<>(n);
                List<Integer> owners = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    Sequence s = batch.get(i);
                    if (next[i] < s.to()) {
                        int end = (int) Math.min(s.to(), (long) next[i] + pieceLength());
                        int head = s.allLogits() ? end - next[i] : end == s.to() ? 1 : 0;
                        pieces.add(new Piece<>(states.get(i), s.tokens(), next[i], end, head));
                        owners.add(i);
                    }
                }
                if (pieces.isEmpty()) {
                    break;
                }
                Pass<S> pass = plan(pieces);
                float[] out = forward(pass, scratch);
                for (int p = 0; p < pieces.size(); p++) {
                    int i = owners.get(p);
                    Piece<S> piece = pieces.get(p);
                    int at = pass.head().start(p) * vocab;
                    int len = pass.head().length(p) * vocab;
                    if (batch.get(i).allLogits()) {
                        System.arraycopy(out, at, logits[i], (piece.from() - batch.get(i).from()) * vocab, len);
                    } else if (len > 0) {
                        logits[i] = Arrays.copyOfRange(out, at, at + len);
                    }
                    next[i] = piece.to();
                }
            }
        }
        return Arrays.asList(logits);
    }

    private Pass<S> plan(List<Piece<S>> pieces) {
        int[] lengths = new int[pieces.size()];
        int[] heads = new int[pieces.size()];
        for (int p = 0; p < lengths.length; p++) {
            lengths[p] = pieces.get(p).length();
            heads[p] = pieces.get(p).headRows();
        }
        @SuppressWarnings("unchecked")
        S[] states = (S[]) Array.newInstance(stateType, pieces.size());
        for (int p = 0; p < states.length; p++) {
            states[p] = pieces.get(p).state();
        }
        int min = kernels.matmulMinRows();
        return new Pass<>(List.copyOf(pieces), Rows.of(lengths, min), Rows.of(heads, min), states);
    }

    private S own(ModelState state) {
        if (stateType.isInstance(state)) {
            S s = stateType.cast(state);
            if (owns(s)) {
                return s;
            }
        }
        throw new IllegalArgumentException("this state was not made by this " + info().family() + " model's newState()");
    }
}
