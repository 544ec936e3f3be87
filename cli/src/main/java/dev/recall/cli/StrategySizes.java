package dev.recall.cli;

import picocli.CommandLine.Option;

/** The sizes of the long-context strategies and the training-length override, as every command takes them. */
final class StrategySizes {

    @Option(names = "--n-global", paramLabel = "N", defaultValue = "0",
            description = "LM-Infinite: starting tokens every query sees (0: 10).")
    int nGlobal;

    @Option(names = "--d-max", paramLabel = "N", defaultValue = "0",
            description = "LM-Infinite: local window and distance limit (0: training length).")
    int dMax;

    @Option(names = "--train-length", paramLabel = "N", defaultValue = "0",
            description = "The model's training context length, for configs that do not state it or state "
                    + "a wrong one (0: from config.json).")
    int trainLength;
}
