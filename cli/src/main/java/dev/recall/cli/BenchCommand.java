package dev.recall.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.Sampler;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.Sequence;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * {@code recall bench}: prefill and decode speed of a model on random token ids, next to the
 * memory-bandwidth roofline of decode measured in the same process.
 *
 * <p>Decode streams every weight (and reads the state) once per token, so its ceiling is
 * bandwidth ÷ (streamed weight bytes + state bytes). The streamed bytes are every stored tensor but
 * an input embedding table that is not also the head, of which a token reads one row
 * ({@link dev.recall.runtime.model.ModelInfo#streamedBytesPerToken}); for RWKV-6, whose embedding
 * is untied, that is 8 % less than the file. The report gives the fraction of that ceiling reached.
 */
@Command(name = "bench", usageHelpAutoWidth = true,
        description = "Measure prefill and decode tokens/s on random token ids (fixed seed), peak memory, "
                + "state size and the decode bandwidth roofline.")
final class BenchCommand implements Callable<Integer> {

    /** The prompt's last ids, asked of every chunk by OPRM (a plain prompt is the same ids in order). */
    static final int QUERY_TOKENS = 16;

    /** Buffer streamed to measure bandwidth: larger than any cache (server L3s reach 260 MiB). */
    private static final long BANDWIDTH_BUFFER_BYTES = 1L << 30;
    private static final int BANDWIDTH_PASSES = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "512",
            description = "Prompt length for the prefill measurement. Default: ${DEFAULT-VALUE}")
    int promptTokens;

    @Option(names = "--gen-tokens", paramLabel = "M", defaultValue = "32",
            description = "Greedy decode steps measured after the prompt. Default: ${DEFAULT-VALUE}")
    int genTokens;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "none",
            description = "How the prompt is consumed (none, oprm, lm-infinite). OPRM asks the prompt's last "
                    + QUERY_TOKENS + " ids of every chunk of the rest, without an IDK filter (the ids are random). "
                    + "Default: ${DEFAULT-VALUE}")
    String strategy;

    @Mixin
    StrategyFlags strategyFlags;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the random prompt ids. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
            description = "Sequences decoded together, one batched forward pass per step (each with its own "
                    + "random prompt, prefilled one after another); the speeds are summed over them. Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        if (promptTokens < 1 || genTokens < 1 || batch < 1) {
            throw new ParameterException(spec.commandLine(), "--prompt-tokens, --gen-tokens and --batch must be at least 1");
        }
        // Random ids have no IDK answer to look for: OPRM's filter is off (and needs no tokenizer).
        StrategyOptions strategyOptions = RecallCli.usage(spec, () -> strategyFlags.options(strategy) instanceof
                StrategyOptions.Oprm o ? o.withIdkFilter(false) : strategyFlags.options(strategy));
        StrategyOptionUse.requireRead(spec, List.of(strategy));
        ObjectNode report = new ObjectMapper().createObjectNode();
        // What the JVM itself holds before any model is touched (heap, code, the runtime's classes),
        // so the report can show what the model adds on top of it.
        long baselineRss = procStatusBytes("VmRSS:");
        try (LoadedModel loaded = model.load()) {
            LanguageModel lm = loaded.model();
            ModelInfo info = lm.info();
            LongContextStrategy strat = Strategies.create(strategyOptions, null);
            List<Prompt> prompts = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                // The first sequence's ids are those of a run without --batch.
                int[] ids = new Random(seed + b).ints(promptTokens, 0, info.vocabSize()).toArray();
                int query = Math.min(QUERY_TOKENS, promptTokens - 1);
                prompts.add(new Prompt(new int[0], Arrays.copyOf(ids, promptTokens - query),
                        Arrays.copyOfRange(ids, promptTokens - query, promptTokens)));
            }

            // Warm-up (not measured): the same prompts and a few steps, so that the JIT has compiled
            // every kernel at the sizes measured (Vector API code is only fast once C2 compiles it).
            run(lm, strat, prompts, Math.min(genTokens, 8));
            Run measured = run(lm, strat, prompts, genTokens);

            double prefillRate = (double) batch * promptTokens / (measured.prefillNanos / 1e9);
            double decodeRate = (double) batch * genTokens / (measured.decodeNanos / 1e9);
            // Read before the bandwidth probe, whose 1 GiB buffer would otherwise be the peak.
            long peakRss = procStatusBytes("VmHWM:");
            // What is resident now, split by kind: pages of mapped files (the weights, as far as
            // they have been read, plus the JVM's own files) against anonymous memory (heap, JIT,
            // thread stacks). Mapped weights show up in the first, a copy of them would in the second.
            long fileRss = procStatusBytes("RssFile:");
            long anonRss = procStatusBytes("RssAnon:");
            double bandwidth = measureBandwidth();
            long bytesPerToken = info.streamedBytesPerToken() + measured.stateBytes;
            double rooflineRate = bandwidth / bytesPerToken;

            report.put("model", model.dir().toAbsolutePath().normalize().toString());
            report.put("family", info.family());
            report.put("strategy", strat.name());
            report.put("batch", batch);
            report.put("prompt_tokens", promptTokens);
            report.put("gen_tokens", genTokens);
            report.put("prefill_tokens_per_s", prefillRate);
            report.put("decode_tokens_per_s", decodeRate);
            report.put("weight_bytes", info.weightBytes());
            report.put("threads", Parallel.threads());
            report.put("peak_rss_bytes", peakRss);
            report.put("baseline_rss_bytes", baselineRss);
            report.put("file_rss_bytes", fileRss);
            report.put("anon_rss_bytes", anonRss);
            report.put("state_bytes", measured.stateBytes);
            report.put("prefill_allocated_bytes_per_token",
                    measured.prefillAllocated < 0 ? -1 : measured.prefillAllocated / ((long) batch * promptTokens));
            report.put("decode_allocated_bytes_per_token",
                    measured.decodeAllocated < 0 ? -1 : measured.decodeAllocated / ((long) batch * genTokens));
            // The memory target: the JVM's own baseline plus the mapped weights and the decode state, plus 10 %.
            long budget = baselineRss < 0 ? -1 : baselineRss + (long) (1.1 * (info.weightBytes() + measured.stateBytes));
            report.put("rss_budget_bytes", budget);
            report.put("rss_within_budget", budget > 0 && peakRss > 0 && peakRss <= budget);
            report.put("bandwidth_bytes_per_s", bandwidth);
            report.put("decode_bytes_per_token", bytesPerToken);
            report.put("decode_roofline_tokens_per_s", rooflineRate);
            report.put("decode_roofline_fraction", decodeRate / rooflineRate);
        }
        print(report);
        return 0;
    }

    /**
     * One timed prefill of each prompt (one after another) and greedy decode of {@code steps}
     * tokens from their states, all sequences in one batched forward pass per step, with the heap
     * bytes all threads allocated in each (-1 where the JVM cannot count them). The state bytes
     * are one sequence's.
     */
    private record Run(long prefillNanos, long decodeNanos, long stateBytes, long prefillAllocated, long decodeAllocated) {
    }

    private static Run run(LanguageModel lm, LongContextStrategy strat, List<Prompt> prompts, int steps) {
        int n = prompts.size();
        long a0 = allocatedBytes();
        long t0 = System.nanoTime();
        List<Prepared> prepared = new ArrayList<>(n);
        for (Prompt prompt : prompts) {
            prepared.add(strat.prepare(lm, prompt));
        }
        long t1 = System.nanoTime();
        long a1 = allocatedBytes();
        List<float[]> logits = new ArrayList<>(n);
        for (Prepared p : prepared) {
            logits.add(p.logits());
        }
        for (int i = 0; i < steps; i++) {
            List<Sequence> step = new ArrayList<>(n);
            for (int b = 0; b < n; b++) {
                step.add(Sequence.of(prepared.get(b).state(), Sampler.argmax(logits.get(b))));
            }
            logits = lm.forward(new Batch(step));
        }
        long t2 = System.nanoTime();
        long a2 = allocatedBytes();
        // After the clock: the check is not part of the decode measured.
        logits.forEach(DecodeLoop::requireNumbers);
        boolean counted = a0 >= 0 && a1 >= 0 && a2 >= 0;
        long stateBytes = prepared.getFirst().state().sizeBytes();
        // As a server would between requests: the warm-up's attention caches go back to the model,
        // and the measured run reuses them instead of adding more to the heap.
        prepared.forEach(p -> p.state().close());
        return new Run(t1 - t0, t2 - t1, stateBytes, counted ? a1 - a0 : -1, counted ? a2 - a1 : -1);
    }

    /**
     * Heap bytes allocated so far by all live threads, or -1. Allocation is worth watching: a
     * Vector API value passed through a call the JIT did not inline is boxed on the heap, and
     * such garbage made the collector grow the heap far past the model's memory (docs/performance.md).
     */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx
                && mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled()) {
            return mx.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    /**
     * Read bandwidth of main memory in bytes/s: the best of a few passes summing a 1 GiB off-heap
     * buffer with vector loads (as the matvec kernels read weights), in 1 MiB blocks spread over the
     * runtime's threads (the same threads decode uses).
     */
    static double measureBandwidth() {
        Kernels kernels = KernelProvider.get();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(BANDWIDTH_BUFFER_BYTES, 4096);
            buffer.fill((byte) 1); // touch every page so reads hit memory, not the zero page
            int block = 1 << 20;
            int blocks = (int) (BANDWIDTH_BUFFER_BYTES / block);
            double best = 0;
            DoubleAdder sink = new DoubleAdder();
            for (int pass = 0; pass < BANDWIDTH_PASSES; pass++) {
                long start = System.nanoTime();
                Parallel.forRange(blocks, 1, (from, to) -> sink.add(kernels.sumFloats(buffer, (long) from * block, (long) to * block)));
                best = Math.max(best, BANDWIDTH_BUFFER_BYTES / ((System.nanoTime() - start) / 1e9));
            }
            return best;
        }
    }

    /** A kB field of /proc/self/status (VmRSS:, VmHWM:) in bytes, or -1 off Linux. */
    static long procStatusBytes(String field) {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // the kernel reports kB
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private void print(ObjectNode report) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(report.toString());
        } else {
            report.properties().forEach(e -> out.printf("%-30s %s%n", e.getKey() + ":", e.getValue().asText()));
        }
        out.flush();
    }
}
