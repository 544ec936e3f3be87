package dev.recall.cli;

import dev.recall.models.synth.Preset;
import dev.recall.models.synth.SyntheticModel;
import dev.recall.runtime.RecallException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code recall synth}: a random-weight model directory with a real model's shapes, for benchmarks. */
@Command(name = "synth", usageHelpAutoWidth = true,
        description = "Write a random-weight model (config.json + BF16 model.safetensors, no tokenizer) "
                + "with the shapes of a real checkpoint, for benchmarks without downloads.")
final class SynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--family", paramLabel = "NAME",
            description = "llama, mamba, rwkv6 or recurrent-gemma (alone: the family's real-size preset).")
    String family;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "mamba-130m, mamba-1.4b, llama-1b, rwkv6-1b6, recurrentgemma-2b, "
                    + "or the zoo sizes zoo-llama, zoo-mamba, zoo-rwkv6, zoo-recurrent-gemma.")
    String preset;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory to write.")
    Path out;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Weight seed. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "0",
            description = "Number of layers (0: the preset's; fewer make a shallow model of the same width).")
    int layers;

    @Option(names = "--force", description = "Write into --out even if it already holds files (its config.json "
            + "and model.safetensors are replaced, anything else is left as it was).")
    boolean force;

    @Override
    public Integer call() {
        if (layers < 0) {
            throw new ParameterException(spec.commandLine(), "--layers must not be negative (0: the preset's), got " + layers);
        }
        Preset chosen = RecallCli.usage(spec, () -> SyntheticModel.preset(preset, family));
        if (!force && isNonEmptyDirectory(out)) {
            // A real model's directory would keep its tokenizer beside random weights: silent garbage.
            throw new RecallException(out + " already holds files; give an empty or new directory, or --force to overwrite");
        }
        long start = System.nanoTime();
        SyntheticModel.Written w = SyntheticModel.write(chosen, out, seed, layers);
        PrintWriter o = spec.commandLine().getOut();
        o.printf("wrote %s: %s (%s), %d %s, %s parameters, %s in %s%n", w.dir().toAbsolutePath().normalize(),
                w.preset().id(), w.preset().family().id(), w.layers(), w.layers() == 1 ? "layer" : "layers",
                Formats.count(w.parameters()),
                Formats.bytes(w.bytes()), Formats.duration(System.nanoTime() - start));
        o.flush();
        return 0;
    }

    private static boolean isNonEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            throw new RecallException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
