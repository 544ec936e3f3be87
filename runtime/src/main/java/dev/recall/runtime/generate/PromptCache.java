package dev.recall.runtime.generate;

import dev.recall.runtime.model.ModelState;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * States kept after earlier requests, keyed by the tokens they consumed, so that a request whose
 * prompt starts with those tokens resumes from a copy instead of feeding them again (a chat client
 * re-sending its conversation each turn). Bounded by a budget of state bytes, least recently used
 * first out. Entries are states the cache owns; a hit hands out an independent copy. Thread-safe.
 */
public final class PromptCache {

    /** A state to resume from and how many of the prompt's tokens it has consumed. */
    public record Hit(ModelState state, int tokens) {
    }

    /** What {@link #match} found: a hit (null on a miss) and the longest prefix shared with any entry. */
    public record Match(Hit hit, int sharedPrefix) {
    }

    /** Counters for metrics. */
    public record Stats(long hits, long misses, long tokensSaved, int entries, long bytes) {
    }

    private record Key(int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(tokens, k.tokens);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(tokens);
        }
    }

    private final long budgetBytes;
    private final LinkedHashMap<Key, ModelState> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;
    private long tokensSaved;

    /** @param budgetBytes the most state bytes kept (0: a cache that keeps nothing) */
    public PromptCache(long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("a cache budget must be ≥ 0");
        }
        this.budgetBytes = budgetBytes;
    }

    /**
     * One pass over the kept entries for a new prompt:
     * <ul>
     *   <li>the longest kept state whose tokens begin the prompt and leave at least one prompt token
     *       to feed (the model computes the logits after the last one), as a copy the caller owns,
     *       or null when none does (counted as a hit or a miss);</li>
     *   <li>the most leading tokens the prompt shares with any kept entry (0 when none): where a
     *       second request with the same beginning (a shared system prompt) should leave a
     *       snapshot, so that the next one resumes there although the entries themselves go on
     *       differently.</li>
     * </ul>
     */
    public synchronized Match match(int[] prompt) {
        Map.Entry<Key, ModelState> best = null;
        int shared = 0;
        for (Map.Entry<Key, ModelState> e : entries.entrySet()) {
            int[] t = e.getKey().tokens();
            int n = Math.min(t.length, prompt.length);
            int mismatch = Arrays.mismatch(t, 0, n, prompt, 0, n);
            int common = mismatch < 0 ? n : mismatch;
            shared = Math.max(shared, common);
            if (common == t.length && t.length < prompt.length
                    && (best == null || t.length > best.getKey().tokens().length)) {
                best = e;
            }
        }
        if (best == null) {
            misses++;
            return new Match(null, shared);
        }
        entries.get(best.getKey()); // most recently used now
        hits++;
        int n = best.getKey().tokens().length;
        tokensSaved += n;
        return new Match(new Hit(best.getValue().copy(), n), shared);
    }

    /** Whether a state for exactly these tokens is kept already. */
    public synchronized boolean contains(int[] tokens) {
        return entries.containsKey(new Key(tokens));
    }

    /**
     * Keeps a state that has consumed exactly {@code tokens}, taking ownership of it (it is closed
     * when evicted, or at once when it does not fit or duplicates an entry).
     */
    public synchronized void put(int[] tokens, ModelState state) {
        long size = state.sizeBytes();
        Key key = new Key(tokens.clone());
        if (state.position() != tokens.length || size > budgetBytes || entries.containsKey(key)) {
            state.close();
            return;
        }
        Iterator<Map.Entry<Key, ModelState>> oldest = entries.entrySet().iterator();
        while (bytes + size > budgetBytes && oldest.hasNext()) {
            ModelState evicted = oldest.next().getValue();
            bytes -= evicted.sizeBytes();
            evicted.close();
            oldest.remove();
        }
        entries.put(key, state);
        bytes += size;
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, tokensSaved, entries.size(), bytes);
    }

    /** Closes every kept state. */
    public synchronized void clear() {
        entries.values().forEach(ModelState::close);
        entries.clear();
        bytes = 0;
    }
}
