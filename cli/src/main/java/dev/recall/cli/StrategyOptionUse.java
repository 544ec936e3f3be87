package dev.recall.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.util.Collection;
import java.util.List;

/**
 * Which long-context strategy reads which option. An option that none of a run's strategies reads
 * ({@code --chunk 100} with {@code --strategy none}) would be ignored without a word, and the user
 * would take the result for its effect: such a run is refused as a usage error instead.
 */
final class StrategyOptionUse {

    private record Use(String option, List<String> readBy) {
    }

    private static final List<Use> USES = List.of(
            new Use("--chunk", List.of("oprm")),
            new Use("--idk", List.of("oprm")),
            new Use("--idk-phrase", List.of("oprm")),
            new Use("--no-idk-filter", List.of("oprm")),
            new Use("--idk-instruction", List.of("oprm")),
            new Use("--select", List.of("oprm")),
            new Use("--n-global", List.of("lm-infinite")),
            new Use("--window", List.of("lm-infinite")),
            new Use("--d-max", List.of("lm-infinite")),
            new Use("--top-k-attention", List.of("lm-infinite")),
            new Use("--top-k-from-layer", List.of("lm-infinite")),
            new Use("--train-length", List.of("oprm", "lm-infinite")));

    private StrategyOptionUse() {
    }

    /** Throws a usage error for the first option given on the command line that none of {@code strategies} reads. */
    static void requireRead(CommandSpec spec, Collection<String> strategies) {
        ParseResult parsed = spec.commandLine().getParseResult();
        for (Use use : USES) {
            if (parsed.hasMatchedOption(use.option()) && use.readBy().stream().noneMatch(strategies::contains)) {
                throw new ParameterException(spec.commandLine(), use.option() + " is read only by "
                        + String.join(" and ", use.readBy()) + ", which this run does not use (it uses "
                        + String.join(", ", strategies) + ")");
            }
        }
    }
}
