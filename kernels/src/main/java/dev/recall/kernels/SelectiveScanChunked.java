package dev.recall.kernels;

/**
 * The selective scan with time split into chunks, so that long prompts can use more threads than
 * there are channel groups. The recurrence s_i = a_i ⊙ s_{i−1} + b_i is linear, hence for a chunk
 * starting from state S:
 * <pre>
 *   s_i = z_i + exp(A · Σ_{j ≤ i in chunk} dt_j) ⊙ S
 * </pre>
 * where z_i is the chunk's own scan from a zero state. Three passes:
 * <ol>
 *   <li>every chunk (in parallel) scans from zero, chunk 0 from the carried state, keeping its
 *       outputs, its end state and its total step Σ dt;</li>
 *   <li>the chunks' start states are carried across chunks through their total decays exp(A·Σdt);</li>
 *   <li>every later chunk (in parallel) adds the start state's contribution
 *       C_i · (exp(A · cumulative dt) ⊙ S) to its outputs.</li>
 * </ol>
 * Every pass is split over chunks and channel groups together, and vectorised across channels by
 * the inner scan. It does about 1.7 times the work of the sequential scan (one thread, 512 tokens
 * × 512 channels × 16 states: 2.0 ms sequential, 3.5 ms chunked), so it pays only when the
 * sequential scan has too few channel groups to keep the threads busy ({@link #pays}). Results
 * equal the sequential scan up to fp32 rounding (the decay of the carried state is one exp of a
 * sum instead of a product of exps, and is taken as zero once below e^−80).
 */
public class SelectiveScanChunked implements SelectiveScan {

    /** Tokens per chunk used by the runtime. */
    public static final int DEFAULT_CHUNK = 128;

    private final int chunkLength;
    private final SelectiveScanSequential inner;

    /**
     * Whether the chunked scan should beat the sequential one for this batch on this many threads:
     * the sequential scan has fewer channel groups than threads (so some threads would idle), the
     * batch spans at least two chunks per thread, and there are at least four threads (with two,
     * the 1.7 times larger work and three fork-joins instead of one leave no gain: on the 2-core
     * development machine the chunked scan was slower even for 16 channels).
     */
    public static boolean pays(int tokens, int channels, int threads) {
        int groups = (channels + SelectiveScanSequential.CHANNEL_GROUP - 1) / SelectiveScanSequential.CHANNEL_GROUP;
        return threads >= 4 && groups < threads && tokens >= 2L * DEFAULT_CHUNK * threads;
    }

    /** A chunked scan whose chunks are scanned by the SIMD sequential scan. */
    public SelectiveScanChunked(int chunkLength) {
        this(chunkLength, new SelectiveScanVector());
    }

    SelectiveScanChunked(int chunkLength, SelectiveScanSequential inner) {
        if (chunkLength < 1) {
            throw new IllegalArgumentException("chunk length must be at least 1, got " + chunkLength);
        }
        this.chunkLength = chunkLength;
        this.inner = inner;
    }

    @Override
    public void scan(Inputs in, float[] state, float[] y) {
        in.checkOutputs(state, y);
        int tokens = in.tokens();
        int chunks = (tokens + chunkLength - 1) / chunkLength;
        if (chunks <= 1) {
            inner.scan(in, state, y);
            return;
        }
        int channels = in.channels();
        int stateSize = channels * in.states();
        int groups = (channels + SelectiveScanSequential.CHANNEL_GROUP - 1) / SelectiveScanSequential.CHANNEL_GROUP;

        // Pass 1: chunk 0 continues the carried state in place; the others start from zero.
        float[][] ends = new float[chunks][];
        ends[0] = state;
        for (int k = 1; k < chunks; k++) {
            ends[k] = new float[stateSize];
        }
        Parallel.forRange(chunks * groups, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int k = task / groups;
                int g = task % groups;
                inner.scanBlock(in, chunkStart(k), chunkEnd(k, tokens), groupStart(g), groupEnd(g, channels), ends[k], y);
            }
        });

        // Pass 2: state now holds the state entering chunk 1; carry it chunk by chunk, keeping each
        // chunk's start state, to the state after the last token.
        float[][] starts = new float[chunks][];
        for (int k = 1; k < chunks; k++) {
            starts[k] = new float[stateSize];
        }
        int n = in.states();
        Parallel.forRange(groups, 1, (g0, g1) -> {
            int e0 = groupStart(g0);
            int e1 = groupEnd(g1 - 1, channels);
            for (int k = 1; k < chunks; k++) {
                System.arraycopy(state, e0 * n, starts[k], e0 * n, (e1 - e0) * n);
                inner.carryState(in, chunkStart(k), chunkEnd(k, tokens), e0, e1, state, ends[k]);
            }
        });

        // Pass 3: add each later chunk's start-state contribution to its outputs.
        Parallel.forRange((chunks - 1) * groups, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int k = 1 + task / groups;
                int g = task % groups;
                inner.addCarriedOutput(in, chunkStart(k), chunkEnd(k, tokens), groupStart(g), groupEnd(g, channels),
                        starts[k], y);
            }
        });
    }

    @Override
    public void softplusSteps(float[] dt, float[] bias, int tokens, int channels) {
        inner.softplusSteps(dt, bias, tokens, channels);
    }

    private int chunkStart(int k) {
        return k * chunkLength;
    }

    private int chunkEnd(int k, int tokens) {
        return Math.min(tokens, (k + 1) * chunkLength);
    }

    private static int groupStart(int g) {
        return g * SelectiveScanSequential.CHANNEL_GROUP;
    }

    private static int groupEnd(int g, int channels) {
        return Math.min(channels, (g + 1) * SelectiveScanSequential.CHANNEL_GROUP);
    }
}
