package dev.recall.models;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.BatchScheduler;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.StopReason;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.testing.SharedData;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous batching: requests submitted together, more than run at once, with prompts longer
 * than the prefill piece, joining while others decode and leaving at different steps, each get
 * exactly what {@link DecodeLoop#generate} gives them alone.
 */
class BatchSchedulerTest {

    private static final String[] PROMPTS = {"The", "It was a", "There is a pass key", "He said", "Once upon a time", "A"};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba"})
    void everyRequestGetsWhatItGetsAlone(String family) throws Exception {
        Path dir = SharedData.zoo().resolve(family);
        Tokenizer tokenizer = Tokenizers.load(dir);
        String longText = Files.readString(SharedData.shared().resolve("corpus/brown_heldout.txt")).substring(0, 1500);
        List<String> prompts = new ArrayList<>(List.of(PROMPTS));
        prompts.add(longText);
        try (LanguageModel model = ModelLoader.load(dir)) {
            StopCondition eos = StopCondition.eos(model.info().eosTokenIds());
            List<DecodeLoop.Options> options = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                options.add(switch (i % 4) {
                    case 0 -> new DecodeLoop.Options(SamplingOptions.greedy(12 + i), eos);
                    case 1 -> new DecodeLoop.Options(new SamplingOptions(0.8, 0, 0.9, 7 + i, 1.0, 15), eos);
                    case 2 -> new DecodeLoop.Options(new SamplingOptions(0, 0, 1, 0, 1.3, 10), eos);
                    default -> new DecodeLoop.Options(SamplingOptions.greedy(20), eos.withStopStrings(List.of("the")));
                });
            }
            DecodeLoop loop = new DecodeLoop(model, tokenizer);
            List<GenerationResult> alone = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                int[] ids = tokenizer.encodeWithSpecialTokens(prompts.get(i));
                alone.add(loop.generate(Strategies.create(StrategyOptions.none(), tokenizer), Prompt.plain(ids),
                        options.get(i), TokenListener.NONE, ProgressListener.NONE));
            }
            try (BatchScheduler scheduler = new BatchScheduler(model, tokenizer, 3, 16, 64)) {
                List<CompletableFuture<GenerationResult>> together = new ArrayList<>();
                List<StringBuilder> streamed = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    StringBuilder text = new StringBuilder();
                    streamed.add(text);
                    together.add(scheduler.submit(new BatchScheduler.Job(tokenizer.encodeWithSpecialTokens(prompts.get(i)),
                            options.get(i), text::append)));
                }
                for (int i = 0; i < prompts.size(); i++) {
                    GenerationResult r = together.get(i).get(120, TimeUnit.SECONDS);
                    String what = family + ", request " + i;
                    assertArrayEquals(alone.get(i).ids(), r.ids(), what);
                    assertEquals(alone.get(i).text(), r.text(), what);
                    assertEquals(alone.get(i).stopReason(), r.stopReason(), what);
                    assertEquals(alone.get(i).promptTokens(), r.promptTokens(), what);
                    assertEquals(r.text(), streamed.get(i).toString(), what);
                }
                BatchScheduler.Load load = scheduler.load();
                assertEquals(0, load.running());
                assertTrue(load.steps() > 0);
            }
        }
    }

    @Test
    void aCancelledOrFailingRequestLeavesAloneAndTheRestGoOn() throws Exception {
        Path dir = SharedData.zoo().resolve("mamba");
        Tokenizer tokenizer = Tokenizers.load(dir);
        StopCondition none = StopCondition.eos(List.of());
        try (LanguageModel model = ModelLoader.load(dir)) {
            try (BatchScheduler scheduler = new BatchScheduler(model, tokenizer, 1, 1, 64)) {
                // One runs, one waits; a third is refused at once.
                Cancellation cancel = new Cancellation();
                CompletableFuture<GenerationResult> running = scheduler.submit(new BatchScheduler.Job(
                        tokenizer.encodeWithSpecialTokens("The"),
                        new DecodeLoop.Options(SamplingOptions.greedy(1 << 20), none, cancel, -1), null));
                CompletableFuture<GenerationResult> waiting = scheduler.submit(new BatchScheduler.Job(
                        tokenizer.encodeWithSpecialTokens("It was"), new DecodeLoop.Options(SamplingOptions.greedy(8), none), null));
                assertThrows(BatchScheduler.QueueFullException.class, () -> scheduler.submit(new BatchScheduler.Job(
                        tokenizer.encodeWithSpecialTokens("No"), new DecodeLoop.Options(SamplingOptions.greedy(8), none), null)));
                cancel.cancel();
                assertEquals(StopReason.CANCELLED, running.get(60, TimeUnit.SECONDS).stopReason());
                assertEquals(8, waiting.get(60, TimeUnit.SECONDS).ids().length);
            }
            try (BatchScheduler scheduler = new BatchScheduler(model, tokenizer, 2, 0, 64)) {
                CompletableFuture<GenerationResult> failing = scheduler.submit(new BatchScheduler.Job(
                        tokenizer.encodeWithSpecialTokens("He"), new DecodeLoop.Options(SamplingOptions.greedy(50), none),
                        TokenListener.onTokens((id, logits) -> {
                            throw new IllegalStateException("the client went away");
                        })));
                CompletableFuture<GenerationResult> healthy = scheduler.submit(new BatchScheduler.Job(
                        tokenizer.encodeWithSpecialTokens("It was"), new DecodeLoop.Options(SamplingOptions.greedy(8), none), null));
                ExecutionException e = assertThrows(ExecutionException.class, () -> failing.get(60, TimeUnit.SECONDS));
                assertEquals("the client went away", e.getCause().getMessage());
                assertEquals(8, healthy.get(60, TimeUnit.SECONDS).ids().length);
            }
        }
        assertThrows(RecallException.class, () -> new BatchScheduler.Job(new int[0],
                new DecodeLoop.Options(SamplingOptions.greedy(1), StopCondition.eos(List.of())), null));
    }

    /** A zoo model with a scheduler of two places and a 64 MiB prompt cache. */
    private record Cached(LanguageModel model, Tokenizer tokenizer, BatchScheduler scheduler) implements AutoCloseable {
        static Cached open(String family) {
            Path dir = SharedData.zoo().resolve(family);
            Tokenizer tokenizer = Tokenizers.load(dir);
            LanguageModel model = ModelLoader.load(dir);
            return new Cached(model, tokenizer, new BatchScheduler(model, tokenizer, 2, 4, 64,
                    new dev.recall.runtime.generate.PromptCache(64L << 20)));
        }

        DecodeLoop.Options greedy(int tokens) {
            return new DecodeLoop.Options(SamplingOptions.greedy(tokens), StopCondition.eos(model.info().eosTokenIds()));
        }

        @Override
        public void close() throws Exception {
            scheduler.close();
            model.close();
        }
    }

    /**
     * A request whose prompt continues an earlier request's prompt and reply resumes from the kept
     * state, feeding only the rest, and gets exactly what it gets from scratch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba"})
    void aContinuedPromptResumesFromTheCacheWithTheSameResult(String family) throws Exception {
        try (Cached zoo = Cached.open(family)) {
            LanguageModel model = zoo.model();
            Tokenizer tokenizer = zoo.tokenizer();
            BatchScheduler scheduler = zoo.scheduler();
            DecodeLoop.Options greedy = zoo.greedy(10);
            int[] first = tokenizer.encodeWithSpecialTokens("It was a dark and stormy night");
            GenerationResult one = scheduler.submit(new BatchScheduler.Job(first, greedy, null)).get(60, TimeUnit.SECONDS);
            // The next prompt: the first, its reply, and more text.
            int[] more = tokenizer.encode(" Then the rain");
            int[] second = new int[first.length + one.ids().length + more.length];
            System.arraycopy(first, 0, second, 0, first.length);
            System.arraycopy(one.ids(), 0, second, first.length, one.ids().length);
            System.arraycopy(more, 0, second, first.length + one.ids().length, more.length);
            GenerationResult resumed = scheduler.submit(new BatchScheduler.Job(second, greedy, null)).get(60, TimeUnit.SECONDS);
            assertEquals(1, scheduler.cacheStats().hits());
            assertEquals(first.length + one.ids().length - 1, scheduler.cacheStats().tokensSaved());

            GenerationResult fresh = new DecodeLoop(model, tokenizer).generate(Strategies.create(StrategyOptions.none(), tokenizer),
                    Prompt.plain(second), greedy, TokenListener.NONE, ProgressListener.NONE);
            assertArrayEquals(fresh.ids(), resumed.ids(), family);
            assertEquals(fresh.text(), resumed.text(), family);
            assertEquals(second.length, resumed.promptTokens());
        }
    }

    /**
     * Requests that share a long beginning and then differ (a system prompt, then each user's
     * question): the second leaves a snapshot where it parts from the first, the third resumes
     * there, and every answer is the one a fresh run gives.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba"})
    void aSharedBeginningIsSnapshotAndResumed(String family) throws Exception {
        try (Cached zoo = Cached.open(family)) {
            LanguageModel model = zoo.model();
            Tokenizer tokenizer = zoo.tokenizer();
            BatchScheduler scheduler = zoo.scheduler();
            DecodeLoop.Options greedy = zoo.greedy(6);
            String system = "You are a helpful assistant who reads the whole text below before answering any question "
                    + "about it, and who answers in one short sentence.";
            int[] shared = tokenizer.encodeWithSpecialTokens(system);
            assertTrue(shared.length >= 16, "a beginning long enough to keep: " + shared.length);
            List<int[]> prompts = new ArrayList<>();
            for (String question : List.of(" Who was there?", " Where did it rain?", " When was the night?")) {
                int[] q = tokenizer.encode(question);
                int[] p = java.util.Arrays.copyOf(shared, shared.length + q.length);
                System.arraycopy(q, 0, p, shared.length, q.length);
                prompts.add(p);
            }
            List<GenerationResult> got = new ArrayList<>();
            for (int[] p : prompts) {
                got.add(scheduler.submit(new BatchScheduler.Job(p, greedy, null)).get(60, TimeUnit.SECONDS));
            }
            // The first misses; the second misses too but leaves the shared beginning; the third hits it.
            assertEquals(1, scheduler.cacheStats().hits());
            assertEquals(2, scheduler.cacheStats().misses());
            int common = java.util.Arrays.mismatch(prompts.get(0), prompts.get(1));
            assertTrue(common >= shared.length, "the questions part after the system text");
            assertEquals(common, scheduler.cacheStats().tokensSaved(), "resumed exactly where the prompts part");
            for (int i = 0; i < prompts.size(); i++) {
                GenerationResult fresh = new DecodeLoop(model, tokenizer).generate(
                        Strategies.create(StrategyOptions.none(), tokenizer), Prompt.plain(prompts.get(i)), greedy,
                        TokenListener.NONE, ProgressListener.NONE);
                assertArrayEquals(fresh.ids(), got.get(i).ids(), family + " request " + i);
            }
        }
    }
}
