package dev.recall.cli;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model DIR}, shared by the subcommands; defaults to the demo model shipped in the repository. */
final class ModelOption {

    @Option(names = "--model", paramLabel = "DIR",
            defaultValue = "${sys:recall.home:-.}/models/zoo-mamba",
            description = "Model directory (config.json, *.safetensors, tokenizer.json). Default: ${DEFAULT-VALUE}")
    Path dir;

    LanguageModel load() {
        return ModelLoader.load(dir);
    }
}
