package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.StopReason;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.StrategyReport;
import dev.recall.runtime.testing.SharedData;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sequences decoded together by {@link DecodeLoop#decodeAll} each get what they get decoded alone:
 * the same tokens, the same streamed text, the same logits at every step and the same stop reason,
 * with their own sampling (greedy, seeded top-p, a repetition penalty), their own stop strings and
 * token limits, so that they finish at different steps and the batch shrinks as they do.
 */
class BatchedDecodeTest {

    private static final String[] PROMPTS = {"The", "It was a", "There is a pass key", "He said"};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba"})
    void decodingTogetherEqualsDecodingAlone(String family) {
        Path dir = SharedData.zoo().resolve(family);
        Tokenizer tokenizer = Tokenizers.load(dir);
        try (LanguageModel model = ModelLoader.load(dir)) {
            StopCondition eos = StopCondition.eos(model.info().eosTokenIds());
            List<DecodeLoop.Options> options = List.of(
                    new DecodeLoop.Options(SamplingOptions.greedy(20), eos),
                    new DecodeLoop.Options(new SamplingOptions(0.8, 0, 0.9, 7, 1.0, 25), eos),
                    new DecodeLoop.Options(new SamplingOptions(0, 0, 1, 0, 1.5, 12), eos),
                    new DecodeLoop.Options(SamplingOptions.greedy(30), eos.withStopStrings(List.of("the"))));
            DecodeLoop loop = new DecodeLoop(model, tokenizer);

            List<Recorder> aloneTokens = new ArrayList<>();
            List<GenerationResult> alone = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                Recorder r = new Recorder();
                try (ModelState state = newState(model, i)) {
                    alone.add(loop.decode(prefill(model, tokenizer, state, PROMPTS[i]), options.get(i), r));
                }
                aloneTokens.add(r);
            }

            List<Recorder> togetherTokens = new ArrayList<>();
            List<DecodeLoop.Request> requests = new ArrayList<>();
            List<ModelState> states = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                ModelState state = newState(model, i);
                states.add(state);
                Recorder r = new Recorder();
                togetherTokens.add(r);
                requests.add(new DecodeLoop.Request(prefill(model, tokenizer, state, PROMPTS[i]), options.get(i), r));
            }
            List<GenerationResult> together = loop.decodeAll(requests);
            states.forEach(ModelState::close);

            for (int i = 0; i < PROMPTS.length; i++) {
                String what = family + ", sequence " + i;
                assertArrayEquals(alone.get(i).ids(), together.get(i).ids(), what);
                assertEquals(alone.get(i).text(), together.get(i).text(), what);
                assertEquals(alone.get(i).stopReason(), together.get(i).stopReason(), what);
                assertEquals(aloneTokens.get(i).text.toString(), togetherTokens.get(i).text.toString(), what);
                assertEquals(aloneTokens.get(i).logits.size(), togetherTokens.get(i).logits.size(), what);
                for (int s = 0; s < aloneTokens.get(i).logits.size(); s++) {
                    assertArrayEquals(aloneTokens.get(i).logits.get(s), togetherTokens.get(i).logits.get(s), what + ", step " + s);
                }
            }
            // The sequences did not all run to the same length: the batch shrank as they finished.
            assertTrue(together.stream().map(r -> r.ids().length).distinct().count() > 1, together.toString());
            assertEquals(StopReason.MAX_TOKENS, together.get(2).stopReason());
        }
    }

    /** One sequence of a batch cancelled part way leaves it; the others decode as they would alone. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba"})
    void aCancelledSequenceLeavesTheBatchAndTheOthersGoOn(String family) {
        Path dir = SharedData.zoo().resolve(family);
        Tokenizer tokenizer = Tokenizers.load(dir);
        try (LanguageModel model = ModelLoader.load(dir)) {
            DecodeLoop loop = new DecodeLoop(model, tokenizer);
            DecodeLoop.Options plain = new DecodeLoop.Options(SamplingOptions.greedy(16), StopCondition.none());
            GenerationResult aloneA;
            try (ModelState a = model.newState()) {
                aloneA = loop.decode(prefill(model, tokenizer, a, PROMPTS[0]), plain, null);
            }
            Cancellation cancel = new Cancellation();
            ModelState a = model.newState();
            ModelState b = model.newState();
            java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
            TokenListener cancelAfterThree = TokenListener.onTokens((id, logits) -> {
                if (count.incrementAndGet() == 3) {
                    cancel.cancel();
                }
            });
            List<GenerationResult> r = loop.decodeAll(List.of(
                    new DecodeLoop.Request(prefill(model, tokenizer, a, PROMPTS[0]), plain, null),
                    new DecodeLoop.Request(prefill(model, tokenizer, b, PROMPTS[1]),
                            new DecodeLoop.Options(SamplingOptions.greedy(16), StopCondition.none()).withCancellation(cancel),
                            cancelAfterThree)));
            a.close();
            b.close();
            assertArrayEquals(aloneA.ids(), r.get(0).ids());
            assertEquals(StopReason.MAX_TOKENS, r.get(0).stopReason());
            assertEquals(3, r.get(1).ids().length);
            assertEquals(StopReason.CANCELLED, r.get(1).stopReason());
        }
    }

    private static ModelState newState(LanguageModel model, int i) {
        return i % 2 == 1 && model.info().policyAttentionLayers() > 0
                ? model.newState(new AttentionPolicy.SlidingWindow(6)) : model.newState();
    }

    private static Prepared prefill(LanguageModel model, Tokenizer tokenizer, ModelState state, String prompt) {
        int[] ids = tokenizer.encodeWithSpecialTokens(prompt);
        return new Prepared(state, model.prefill(state, ids), new StrategyReport.Plain("none", ids.length, state.sizeBytes()));
    }

    /** The streamed text and every step's logits. */
    private static final class Recorder implements TokenListener {
        final StringBuilder text = new StringBuilder();
        final List<float[]> logits = new ArrayList<>();

        @Override
        public void onText(String piece) {
            text.append(piece);
        }

        @Override
        public void onToken(int id, float[] l) {
            logits.add(l.clone());
        }
    }
}
