package dev.recall.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.Oprm;
import dev.recall.runtime.strategy.PlainStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;

/**
 * What the long-context strategies cost, on the zoo models ({@code -Drecall.zoo=DIR}, default
 * {@code ../shared/zoo}; these benchmarks need the trained models and fail without them).
 *
 * <p>{@code decode}: one decode step of the zoo llama after {@code context} tokens, with LM-Infinite's
 * Λ-shaped attention ({@code Lambda(10, 256)}: the cache stays at 266 tokens) or full attention (the
 * cache holds every token). {@code context − 1} tokens are prefilled once per trial; every invocation
 * steps on a fresh copy of that state, made in an invocation-level setup that JMH leaves out of the
 * timing, so each measured step attends over exactly {@code context} tokens (itself included). One
 * token short of a power of two also keeps the full cache's doubling growth, an amortised cost
 * paid once per doubling, out of the measured step.
 *
 * <p>{@code oprmPrepare} / {@code plainPrepare}: OPRM over {@value #CHUNKS} chunks of
 * {@value #CHUNK} tokens with a {@value #PREFIX}-token prefix and a {@value #QUERY}-token query on
 * the zoo mamba, against one plain prefill of the same number of tokens OPRM pushes through the
 * model ({@code CHUNKS × (PREFIX + CHUNK + QUERY)}).
 *
 * <p>Example: {@code java --add-modules jdk.incubator.vector -jar jmh/target/benchmarks.jar
 * LongContextBenchmarks.decode -p context=4096,16384 -p attention=lm-infinite}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class LongContextBenchmarks {

    static final int VOCAB_SEED = 7;
    static final int CHUNKS = 8;
    static final int CHUNK = 224;
    static final int PREFIX = 21;
    static final int QUERY = 11;
    /** OPRM's IDK token is irrelevant to its cost (it only filters the chosen chunk); none here. */
    static final int NO_IDK = -1;

    static LanguageModel loadZoo(String family) throws IOException {
        Path dir = Zoo.dir(family);
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new RecallException("the zoo model " + dir + " is missing; give its parent with -Drecall.zoo=DIR");
        }
        return ModelLoader.load(dir);
    }

    static int[] randomIds(Random random, int n, int vocab) {
        return random.ints(n, 0, vocab).toArray();
    }

    /** A llama state prefilled with {@code context} seeded-random tokens under the chosen attention. */
    @State(Scope.Benchmark)
    public static class DecodeContext {

        @Param({"4096", "16384", "32768"})
        public int context;

        /** "lm-infinite" (Λ-shaped attention, n_global 10, d_max 256) or "full". */
        @Param({"lm-infinite", "full"})
        public String attention;

        LanguageModel model;
        ModelState prefilled;
        ModelState state;
        int nextToken;

        @Setup(Level.Trial)
        public void prefill() throws IOException {
            model = loadZoo("llama");
            AttentionPolicy policy = switch (attention) {
                case "lm-infinite" -> new AttentionPolicy.Lambda(10, 256);
                case "full" -> AttentionPolicy.full();
                default -> throw new RecallException("attention must be lm-infinite or full, got " + attention);
            };
            Random random = new Random(VOCAB_SEED);
            int[] ids = randomIds(random, context - 1, model.info().vocabSize());
            prefilled = model.newState(policy);
            // In pieces, as a long prompt is prefilled in practice (one piece would hold [context, V] logits).
            for (int from = 0; from < ids.length; from += 512) {
                model.prefill(prefilled, ids, from, Math.min(ids.length, from + 512), false);
            }
            nextToken = random.nextInt(model.info().vocabSize());
        }

        @Setup(Level.Invocation)
        public void freshCopy() {
            state = prefilled.copy();
        }

        /** The copy's cache goes back to the model, and the next invocation's copy reuses it. */
        @TearDown(Level.Invocation)
        public void dropCopy() {
            state.close();
        }

        @TearDown(Level.Trial)
        public void close() {
            model.close();
        }
    }

    /** The zoo mamba and a prompt of {@value #CHUNKS} × {@value #CHUNK} context tokens. */
    @State(Scope.Benchmark)
    public static class OprmPrompt {

        LanguageModel model;
        Prompt prompt;
        /** Every token OPRM prefills, back to back: one plain prefill of the same work. */
        Prompt sameTokensPlain;

        @Setup(Level.Trial)
        public void load() throws IOException {
            model = loadZoo("mamba");
            int vocab = model.info().vocabSize();
            Random random = new Random(VOCAB_SEED);
            prompt = new Prompt(randomIds(random, PREFIX, vocab), randomIds(random, CHUNKS * CHUNK, vocab),
                    randomIds(random, QUERY, vocab));
            int[][] pieces = new int[CHUNKS][];
            for (int k = 0; k < CHUNKS; k++) {
                int[] chunk = java.util.Arrays.copyOfRange(prompt.context(), k * CHUNK, (k + 1) * CHUNK);
                pieces[k] = Prompt.concat(prompt.prefix(), chunk, prompt.query());
            }
            sameTokensPlain = Prompt.plain(Prompt.concat(pieces));
        }

        @TearDown(Level.Trial)
        public void close() {
            model.close();
        }
    }

    @Benchmark
    public float[] decode(DecodeContext c) {
        return c.model.step(c.state, c.nextToken);
    }

    @Benchmark
    public Prepared oprmPrepare(OprmPrompt p) {
        return new Oprm(CHUNK, NO_IDK, 0).prepare(p.model, p.prompt);
    }

    @Benchmark
    public Prepared plainPrepare(OprmPrompt p) {
        return new PlainStrategy().prepare(p.model, p.sameTokensPlain);
    }
}
