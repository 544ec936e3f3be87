package dev.recall.runtime.generate;

import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;

import java.util.List;

/**
 * Test double: a Markov chain as a language model. The logits after a token are a fixed row of a
 * table indexed by that token, so the decode loop's choices can be predicted exactly. Counts calls.
 */
final class ChainModel implements LanguageModel {

    private final float[][] rows;
    int prefillCalls;
    int stepCalls;

    /** rows[t] = the next-token logits after token t. */
    ChainModel(float[][] rows) {
        this.rows = rows;
    }

    /** A chain where token t is followed by next[t] (logit 5, every other token 0); -1 = uniform. */
    static ChainModel following(int... next) {
        float[][] rows = new float[next.length][next.length];
        for (int t = 0; t < next.length; t++) {
            if (next[t] >= 0) {
                rows[t][next[t]] = 5;
            }
        }
        return new ChainModel(rows);
    }

    float[] row(int token) {
        return rows[token].clone();
    }

    static final class State extends AbstractModelState {
        int position;
        int last = -1;

        @Override
        public int position() {
            return position;
        }

        @Override
        public ModelState copy() {
            requireOpen();
            State s = new State();
            s.position = position;
            s.last = last;
            return s;
        }

        @Override
        public long sizeBytes() {
            return 8;
        }
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo("chain", "ChainForTests", rows.length, 1, 1, 0, 0, 0, "F32", 0, 0, 0, -1, List.of());
    }

    @Override
    public ModelState newState(AttentionPolicy policy) {
        return new State();
    }

    @Override
    public float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        prefillCalls++;
        return consume((State) state, tokens, from, to, allLogits);
    }

    @Override
    public float[] step(ModelState state, int token) {
        stepCalls++;
        return consume((State) state, new int[]{token}, 0, 1, false);
    }

    private float[] consume(State s, int[] tokens, int from, int to, boolean allLogits) {
        s.requireOpen();
        int v = rows.length;
        float[] all = new float[(to - from) * v];
        for (int i = from; i < to; i++) {
            System.arraycopy(rows[tokens[i]], 0, all, (i - from) * v, v);
            s.position++;
            s.last = tokens[i];
        }
        return allLogits ? all : rows[s.last].clone();
    }

    @Override
    public void close() {
    }
}
