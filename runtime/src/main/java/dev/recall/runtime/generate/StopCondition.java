package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;

import java.util.List;
import java.util.Set;

/**
 * When generation ends before the token limit.
 *
 * @param eosIds      ids that end generation (the EOS token is kept in the ids, not in the text)
 * @param stopStrings strings that end generation when they appear in the decoded text; the text is
 *                    cut just before the first one
 */
public record StopCondition(Set<Integer> eosIds, List<String> stopStrings) {

    public StopCondition {
        eosIds = Set.copyOf(eosIds);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new RecallException("a stop string must not be empty");
            }
        }
    }

    /** Only the token limit stops generation. */
    public static StopCondition none() {
        return new StopCondition(Set.of(), List.of());
    }

    public static StopCondition eos(List<Integer> eosIds) {
        return new StopCondition(Set.copyOf(eosIds), List.of());
    }

    public StopCondition withStopStrings(List<String> strings) {
        return new StopCondition(eosIds, strings);
    }

    public boolean isEos(int id) {
        return eosIds.contains(id);
    }
}
