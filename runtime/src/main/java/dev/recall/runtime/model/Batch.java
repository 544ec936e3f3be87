package dev.recall.runtime.model;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Sequences that one {@link LanguageModel#forward} advances together: their rows go through every
 * weight product as one matrix (a decode step reads each weight once for all of them), while
 * what belongs to one sequence (its attention cache, its recurrent state) is computed for it alone.
 * Each sequence gets exactly the logits it would get on its own. A state appears at most once.
 */
public record Batch(List<Sequence> sequences) {

    public Batch {
        sequences = List.copyOf(sequences);
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
        Set<ModelState> states = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Sequence s : sequences) {
            if (!states.add(s.state())) {
                throw new IllegalArgumentException("a state appears twice in one batch; each sequence needs its own");
            }
        }
    }

    public static Batch of(Sequence... sequences) {
        return new Batch(List.of(sequences));
    }

    public int size() {
        return sequences.size();
    }

    public Sequence get(int i) {
        return sequences.get(i);
    }
}
