package dev.recall.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.recall.kernels.Parallel;
import dev.recall.models.synth.SyntheticModel;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;

/**
 * Whole-model speed per family: prefill and decode in tokens/s (JMH's ops/s, one op = one token).
 *
 * <p>The model is the zoo's ({@code -Drecall.zoo=DIR}, default {@code ../shared/zoo}) when present,
 * else a random-weight model of the same shapes written by {@link SyntheticModel} into a temporary
 * directory. {@code -p model=PRESET} benchmarks any synthetic preset instead (e.g.
 * {@code -p model=mamba-130m}; real sizes take a while to write and need the disk space).
 * {@code prefill} consumes {@value #PROMPT_TOKENS} random ids into a fresh state; {@code decode}
 * steps one token at a time on a state that starts {@value #CONTEXT_TOKENS} tokens in and is reset
 * every iteration (so attention caches do not grow without bound).
 * Example: {@code java -jar jmh/target/benchmarks.jar EndToEndBenchmarks -p family=rwkv6}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class EndToEndBenchmarks {

    static final int PROMPT_TOKENS = 256;
    static final int CONTEXT_TOKENS = 64;

    @Param({"llama", "mamba", "rwkv6", "recurrent-gemma"})
    public String family;

    /** "zoo": the zoo model of the family (or its synthetic twin); otherwise a synthetic preset id. */
    @Param({"zoo"})
    public String model;

    @Param({"0"})
    public int threads;

    private Path tempDir;
    private LanguageModel lm;
    private int[] prompt;
    private ModelState decodeState;
    private int decoded;

    @Setup(Level.Trial)
    public void load() throws IOException {
        if (threads > 0) {
            Parallel.setThreads(threads);
        }
        Path zooModel = Zoo.dir(family);
        if (model.equals("zoo") && Files.isRegularFile(zooModel.resolve("config.json"))) {
            lm = ModelLoader.load(zooModel);
        } else {
            String preset = model.equals("zoo") ? "zoo-" + family : model;
            tempDir = Files.createTempDirectory("recall-e2e-");
            SyntheticModel.write(SyntheticModel.preset(preset, family), tempDir, 1, 0);
            lm = ModelLoader.load(tempDir);
        }
        prompt = new Random(1).ints(PROMPT_TOKENS, 0, lm.info().vocabSize()).toArray();
    }

    @Setup(Level.Iteration)
    public void freshDecodeState() {
        decodeState = lm.newState();
        lm.prefill(decodeState, prompt, 0, CONTEXT_TOKENS, false);
        decoded = 0;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        lm.close();
        if (tempDir != null) {
            try (Stream<Path> files = Files.walk(tempDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(PROMPT_TOKENS)
    public float[] prefill() {
        return lm.prefill(lm.newState(), prompt);
    }

    @Benchmark
    public float[] decode() {
        // Token ids do not change the work; take them from the prompt so they vary.
        return lm.step(decodeState, prompt[(CONTEXT_TOKENS + decoded++) % PROMPT_TOKENS]);
    }
}
