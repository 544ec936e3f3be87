package dev.recall.runtime.api;

import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test double whose next-token logits depend on every token consumed so far (through a running hash),
 * so two states give the same logits only if they saw exactly the same tokens. Counts consumed tokens.
 */
final class HistoryModel implements LanguageModel {

    static final int VOCAB = LetterTokenizer.VOCAB;

    final AtomicLong consumed = new AtomicLong();
    private final int eos;
    private final boolean declareEos;

    /**
     * @param eos        the id whose logit is kept low enough that replies have some length
     * @param declareEos whether {@link #info()} names it as EOS (as config.json would)
     */
    HistoryModel(int eos, boolean declareEos) {
        this.eos = eos;
        this.declareEos = declareEos;
    }

    /** Like every model's state, a closed one refuses to be used. */
    static final class State extends AbstractModelState {
        long hash = 1469598103934665603L;
        int position;
        private final List<State> made;

        State(List<State> made) {
            this.made = made;
            made.add(this);
        }

        @Override
        public int position() {
            return position;
        }

        @Override
        public ModelState copy() {
            requireOpen();
            State s = new State(made);
            s.hash = hash;
            s.position = position;
            return s;
        }

        @Override
        public long sizeBytes() {
            return 12;
        }
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo("history", "HistoryModel", VOCAB, 1, 1, 64, 0, 0, "F32", 0, 0, 0, -1, declareEos ? List.of(eos) : List.of());
    }

    /** Every state made by {@link #newState} or copied, so tests can check which were closed. */
    final List<State> states = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public ModelState newState(AttentionPolicy policy) {
        return new State(states);
    }

    @Override
    public float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        State s = (State) state;
        s.requireOpen();
        float[] all = new float[(to - from) * VOCAB];
        for (int i = from; i < to; i++) {
            s.hash = (s.hash ^ tokens[i]) * 1099511628211L;
            s.position++;
            float[] logits = logits(s.hash);
            System.arraycopy(logits, 0, all, (i - from) * VOCAB, VOCAB);
        }
        consumed.addAndGet(to - from);
        if (allLogits) {
            return all;
        }
        float[] last = new float[VOCAB];
        System.arraycopy(all, all.length - VOCAB, last, 0, VOCAB);
        return last;
    }

    private float[] logits(long hash) {
        SplittableRandom r = new SplittableRandom(hash);
        float[] l = new float[VOCAB];
        for (int v = 0; v < VOCAB; v++) {
            l[v] = (float) r.nextDouble(-3, 3);
        }
        // EOS wins only now and then (when its draw is high), so replies end on their own sometimes.
        l[eos] = l[eos] > 2.7f ? 10 : -10;
        return l;
    }

    @Override
    public void close() {
    }
}
