package dev.recall.runtime.testing;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * A stand-in {@link LanguageModel} for strategy and evaluation tests: its state is the token
 * sequence so far, and its next-token logits are whatever a script computes from that sequence.
 * It records every prefill so tests can check what a strategy pushed through it, and spreads a
 * dummy row loop over the shared pool the way real matmuls do (to exercise nested parallelism).
 */
public final class ScriptedModel implements LanguageModel {

    private final ModelInfo info;
    private final Function<int[], float[]> script;
    public final List<int[]> prefills = Collections.synchronizedList(new ArrayList<>());
    public final List<AttentionPolicy> policies = Collections.synchronizedList(new ArrayList<>());
    /** Every state made by {@link #newState}, in order, so tests can check which were closed. */
    public final List<State> states = Collections.synchronizedList(new ArrayList<>());

    public ScriptedModel(int vocab, int trainingLength, int attentionLayers, Function<int[], float[]> script) {
        this(vocab, trainingLength, attentionLayers, 0, script);
    }

    /** As a model of which {@code windowedAttentionLayers} attention layers keep a window of their own. */
    public ScriptedModel(int vocab, int trainingLength, int attentionLayers, int windowedAttentionLayers,
                         Function<int[], float[]> script) {
        this.info = new ModelInfo("scripted", "ScriptedForTests", vocab, 8, 1, trainingLength, attentionLayers,
                windowedAttentionLayers, "F32", 0, 0, 0, 0, List.of(0));
        this.script = script;
    }

    /** Like every model's state, this one refuses to be used once closed. */
    public static final class State extends AbstractModelState {
        int[] tokens = new int[0];
        final AttentionPolicy policy;

        State(AttentionPolicy policy) {
            this.policy = policy;
        }

        public int[] tokens() {
            return tokens.clone();
        }

        public AttentionPolicy policy() {
            return policy;
        }

        @Override
        public int position() {
            return tokens.length;
        }

        @Override
        public ModelState copy() {
            requireOpen();
            State s = new State(policy);
            s.tokens = tokens.clone();
            return s;
        }

        @Override
        public long sizeBytes() {
            return (long) tokens.length * Integer.BYTES;
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public ModelState newState(AttentionPolicy policy) {
        policies.add(policy);
        State s = new State(policy);
        states.add(s);
        return s;
    }

    @Override
    public float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        State s = (State) state;
        s.requireOpen();
        int[] batch = Arrays.copyOfRange(tokens, from, to);
        prefills.add(batch);
        // Nested use of the shared pool, as a model's matmul rows would do.
        long[] sink = new long[64];
        Parallel.forRange(sink.length, 1, (a, b) -> {
            for (int r = a; r < b; r++) {
                sink[r] = r * 31L + batch.length;
            }
        });
        int vocab = info.vocabSize();
        float[] all = allLogits ? new float[batch.length * vocab] : null;
        float[] last = null;
        for (int i = 0; i < batch.length; i++) {
            int[] seq = Arrays.copyOf(s.tokens, s.tokens.length + 1);
            seq[seq.length - 1] = batch[i];
            s.tokens = seq;
            if (allLogits || i == batch.length - 1) {
                last = script.apply(seq.clone());
                if (allLogits) {
                    System.arraycopy(last, 0, all, i * vocab, vocab);
                }
            }
        }
        return allLogits ? all : last;
    }

    @Override
    public void close() {
    }
}
