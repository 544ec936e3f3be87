package dev.recall.kernels;

/**
 * A scan that walks the tokens one after another, split across threads by groups of channels.
 * Subclasses supply {@link #scanBlock}, the sequential scan of a token range for a channel range,
 * and the two block operations with which {@link SelectiveScanChunked} joins chunks scanned
 * independently: {@link #carryState} and {@link #addCarriedOutput}.
 */
abstract class SelectiveScanSequential implements SelectiveScan {

    /** Channels handed to a thread together (a multiple of every vector width). */
    static final int CHANNEL_GROUP = 16;

    /**
     * Rough number of state updates worth one parallel task (about 10 µs of work): small enough
     * that one decode token of a real-size Mamba (1536 channels × 16 states) is shared by two
     * threads, which took mamba-130m's scan from about 1.9 to 1.2 ms per token.
     */
    private static final int WORK_PER_TASK = 1 << 13;

    @Override
    public void scan(Inputs in, float[] state, float[] y) {
        in.checkOutputs(state, y);
        int channels = in.channels();
        int groups = (channels + CHANNEL_GROUP - 1) / CHANNEL_GROUP;
        long workPerGroup = Math.max(1L, (long) in.tokens() * in.states() * CHANNEL_GROUP);
        int grain = (int) Math.max(1, WORK_PER_TASK / workPerGroup);
        Parallel.forRange(groups, grain, (g0, g1) -> scanBlock(in, 0, in.tokens(),
                g0 * CHANNEL_GROUP, Math.min(channels, g1 * CHANNEL_GROUP), state, y));
    }

    /**
     * Scans tokens [t0, t1) for channels [e0, e1): {@code state} holds those channels' states at
     * t0 (same [E, N] layout as the full state) and is left at the state after t1 − 1; writes
     * y[t0 .. t1, e0 .. e1).
     */
    abstract void scanBlock(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] y);

    /**
     * Carries a state across tokens [t0, t1) for channels [e0, e1), given the block's own scan
     * from zero ({@code zeroStart}, its end state): state = exp(A · Σ dt) ⊙ state + zeroStart.
     */
    abstract void carryState(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] zeroStart);

    /**
     * Adds the contribution of a block's start state to outputs the block computed from zero, for
     * tokens [t0, t1) and channels [e0, e1):
     * y[i, e] += C[i,:] · (exp(A[e,:] · Σ_{t0 ≤ j ≤ i} dt[j, e]) ⊙ start[e,:]).
     */
    abstract void addCarriedOutput(Inputs in, int t0, int t1, int e0, int e1, float[] start, float[] y);

    /** Checks the arguments of {@link SelectiveScan#softplusSteps}. */
    static void checkSteps(float[] dt, float[] bias, int tokens, int channels) {
        if (tokens < 0 || channels < 0 || dt.length < (long) tokens * channels || (bias != null && bias.length < channels)) {
            throw new IllegalArgumentException("steps of " + tokens + " x " + channels + " do not fit dt of length "
                    + dt.length + (bias == null ? "" : " and bias of length " + bias.length));
        }
    }
}
