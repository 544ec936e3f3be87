package dev.recall.cli;

import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.model.ModelLocator;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --model DIR|org/name}, shared by the subcommands: a model directory, or a Hugging Face id
 * found in the local cache (never downloaded). Defaults to the demo model shipped in the repository.
 */
final class ModelOption {

    @Option(names = "--model", paramLabel = "DIR|FILE.gguf|ORG/NAME",
            defaultValue = "${sys:recall.home:-.}/models/zoo-mamba",
            description = "Model directory (config.json, *.safetensors, tokenizer.json), a GGUF file, or a Hugging "
                    + "Face id (org/name) in the local cache. Default: ${DEFAULT-VALUE}")
    String spec;

    private Path resolved;

    /** The model directory or GGUF file the option names. */
    Path dir() {
        if (resolved == null) {
            resolved = ModelLocator.resolve(spec);
        }
        return resolved;
    }

    /** The model through the embedding API, as every command loads it. */
    LoadedModel load() {
        return Recall.load(dir());
    }
}
