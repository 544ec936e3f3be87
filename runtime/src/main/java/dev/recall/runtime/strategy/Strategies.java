package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Builds the strategy a request names. */
public final class Strategies {

    private Strategies() {
    }

    /**
     * @param tokenizer used to turn the IDK answers into their first tokens (may be null when the
     *                  strategy needs none)
     */
    public static LongContextStrategy create(StrategyOptions options, Tokenizer tokenizer) {
        return switch (options) {
            case StrategyOptions.Plain p -> new PlainStrategy();
            case StrategyOptions.Oprm o -> new Oprm(o.chunk(), idkTokens(o.idkAnswers(), tokenizer), o.trainLength(),
                    o.selection());
            case StrategyOptions.LmInfinite l -> new LmInfinite(l);
        };
    }

    /** The first token of each IDK answer (duplicates once); none when there are no answers. */
    static int[] idkTokens(List<String> answers, Tokenizer tokenizer) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String answer : answers) {
            if (answer.isEmpty()) {
                throw new RecallException("an IDK answer must not be empty; to keep chunks that answer IDK, switch the IDK"
                        + " filter off").naming("idkFilter");
            }
            if (tokenizer == null) {
                throw new RecallException("OPRM needs the model's tokenizer to find the first token of the IDK answer '"
                        + answer + "'");
            }
            int[] encoded = tokenizer.encode(answer);
            if (encoded.length == 0) {
                throw new RecallException("the IDK answer '" + answer + "' encodes to no tokens");
            }
            ids.add(encoded[0]);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
