package dev.recall.cli;

import dev.recall.runtime.generate.SamplingOptions;
import picocli.CommandLine.Option;

/**
 * The sampling options beyond Hugging Face's generation config, shared by {@code generate} and
 * {@code chat}: min-p and the presence and frequency penalties (llama.cpp's and OpenAI's).
 */
final class ExtraSamplingOptions {

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0",
            description = "Keep tokens at least P times as likely as the most likely one (0: off). Default: ${DEFAULT-VALUE}")
    double minP;

    @Option(names = "--presence-penalty", paramLabel = "A", defaultValue = "0",
            description = "Subtracted from the logit of every token generated so far, in [-2, 2] (0: off). "
                    + "Default: ${DEFAULT-VALUE}")
    double presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "A", defaultValue = "0",
            description = "Subtracted from a token's logit once per time it was generated so far, in [-2, 2] (0: off). "
                    + "Default: ${DEFAULT-VALUE}")
    double frequencyPenalty;

    /** The given options with these set. */
    SamplingOptions applyTo(SamplingOptions s) {
        return s.toBuilder().minP(minP).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty).build();
    }
}
