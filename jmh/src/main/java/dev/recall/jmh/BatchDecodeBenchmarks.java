package dev.recall.jmh;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Sequence;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Decode of {@code batch} sequences together: one batched forward pass per step
 * ({@link LanguageModel#forward(Batch)}), each sequence {@value EndToEndBenchmarks#CONTEXT_TOKENS}
 * tokens in, the states reset every iteration. The score is batched steps per second: the aggregate
 * decode rate is score × batch tokens/s. The model is a zoo model ({@code -Drecall.zoo=DIR}) or,
 * with {@code -p model=DIR}, any model directory (a {@code recall synth} preset, say).
 * Example: {@code java -jar jmh/target/benchmarks.jar BatchDecodeBenchmarks -p family=mamba -p batch=1,8}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BatchDecodeBenchmarks {

    @Param({"llama", "mamba"})
    public String family;

    /** "zoo": the family's zoo model; otherwise a model directory. */
    @Param({"zoo"})
    public String model;

    @Param({"1", "2", "4", "8"})
    public int batch;

    @Param({"0"})
    public int threads;

    private LanguageModel lm;
    private int[][] prompts;
    private final List<ModelState> states = new ArrayList<>();
    private int step;

    @Setup(Level.Trial)
    public void load() {
        if (threads > 0) {
            Parallel.setThreads(threads);
        }
        Path dir = model.equals("zoo") ? Zoo.dir(family) : Path.of(model);
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalStateException("no model at " + dir + " (set -Drecall.zoo or -p model=DIR)");
        }
        lm = ModelLoader.load(dir);
        prompts = new int[batch][];
        for (int b = 0; b < batch; b++) {
            prompts[b] = new Random(1 + b).ints(EndToEndBenchmarks.CONTEXT_TOKENS, 0, lm.info().vocabSize()).toArray();
        }
    }

    @Setup(Level.Iteration)
    public void freshStates() {
        states.forEach(ModelState::close);
        states.clear();
        for (int[] prompt : prompts) {
            ModelState state = lm.newState();
            lm.prefill(state, prompt);
            states.add(state);
        }
        step = 0;
    }

    @TearDown(Level.Trial)
    public void close() {
        states.forEach(ModelState::close);
        lm.close();
    }

    @Benchmark
    public List<float[]> decodeStep() {
        List<Sequence> sequences = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            // Token ids do not change the work; take them from the prompts so they vary.
            sequences.add(Sequence.of(states.get(b), prompts[b][step % prompts[b].length]));
        }
        step++;
        return lm.forward(new Batch(sequences));
    }
}
