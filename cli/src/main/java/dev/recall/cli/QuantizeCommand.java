package dev.recall.cli;

import dev.recall.runtime.api.Recall;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.progress.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code recall quantize}: a model directory or GGUF file written as a GGUF file llama.cpp loads. */
@Command(name = "quantize", usageHelpAutoWidth = true,
        description = {"Write a model as a GGUF file of one of llama.cpp's types, with llama.cpp's rules for which",
                "tensors keep more precision (Q4_K_M, Q5_K_M) and its reference quantizers (the same bytes",
                "llama-quantize writes from the same weights). Streams: the model is never in memory twice."})
final class QuantizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K, BF16, F16 or F32.")
    String type;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "The file to write (replaced if present).")
    Path out;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws java.io.IOException {
        GgufQuantizer.FileType fileType = GgufQuantizer.FileType.parse(type);
        Path source = model.dir();
        if (Files.exists(out) && Files.isSameFile(source, out)) {
            throw new dev.recall.runtime.RecallException("--out names the model being read: write to another file");
        }
        String note = Recall.quantize(source, fileType, out, ProgressBar.onTerminal(!noProgress));
        var err = spec.commandLine().getErr();
        if (note != null) {
            err.println("recall: note: the tokenizer was not written (" + note + "); the file has token ids only");
        }
        spec.commandLine().getOut().println("wrote " + out + " (" + fileType + ")");
        spec.commandLine().getOut().flush();
        err.flush();
        return 0;
    }
}
