package dev.recall.cli;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.io.SafeTensorsWriter;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.StrategyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code recall logits}: raw model outputs for comparison with a reference implementation. The prefill
 * logits of all ids, then optionally a greedy continuation decoded step by step from the prefill state.
 */
@Command(name = "logits", usageHelpAutoWidth = true,
        description = {"Write the logits of token ids, and of a greedy continuation, to a safetensors file.",
                "Tensors: input_ids I32 [T], logits F32 [T,V]; with --greedy N also gen_ids I32 [N] and",
                "gen_logits F32 [N,V] (row i holds the logits that chose gen_ids[i])."})
final class LogitsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--ids", paramLabel = "ID,ID,...", split = ",", required = true,
            description = "Token ids to prefill.")
    int[] ids;

    @Option(names = "--greedy", paramLabel = "N", defaultValue = "0",
            description = "Greedy tokens to decode after the prefill. Default: ${DEFAULT-VALUE}")
    int greedy;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Output safetensors file.")
    Path out;

    @Override
    public Integer call() {
        if (greedy < 0) {
            throw new ParameterException(spec.commandLine(), "--greedy must be ≥ 0, got " + greedy);
        }
        try (LoadedModel loaded = model.load()) {
            LanguageModel lm = loaded.model();
            int vocab = lm.info().vocabSize();
            for (int id : ids) {
                if (id < 0 || id >= vocab) {
                    throw new RecallException("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                }
            }
            try (ModelState state = lm.newState()) {
                writeLogits(lm, state, vocab);
            }
        }
        return 0;
    }

    private void writeLogits(LanguageModel lm, ModelState state, int vocab) {
        float[] logits = lm.prefill(state, ids, 0, ids.length, true);
        SafeTensorsWriter file = new SafeTensorsWriter()
                .i32("input_ids", ids, ids.length)
                .f32("logits", logits, ids.length, vocab);
        String written = "input_ids [" + ids.length + "], logits [" + ids.length + ", " + vocab + "]";
        if (greedy > 0) {
            float[] last = Arrays.copyOfRange(logits, (ids.length - 1) * vocab, ids.length * vocab);
            float[] genLogits = new float[greedy * vocab];
            GenerationResult r = new DecodeLoop(lm, null).decode(new Prepared(state, last, new StrategyReport.Plain("none", ids.length, state.sizeBytes())),
                    new DecodeLoop.Options(SamplingOptions.greedy(greedy), StopCondition.none()), new TokenListener() {
                        int row;

                        @Override
                        public void onText(String piece) {
                        }

                        @Override
                        public void onToken(int id, float[] stepLogits) {
                            System.arraycopy(stepLogits, 0, genLogits, row++ * vocab, vocab);
                        }
                    });
            file.i32("gen_ids", r.ids(), greedy).f32("gen_logits", genLogits, greedy, vocab);
            written += ", gen_ids [" + greedy + "], gen_logits [" + greedy + ", " + vocab + "]";
        }
        file.write(out);
        spec.commandLine().getOut().println("wrote " + out + ": " + written);
        spec.commandLine().getOut().flush();
    }
}
