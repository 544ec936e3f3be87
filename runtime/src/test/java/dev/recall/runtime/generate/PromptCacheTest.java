package dev.recall.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;

class PromptCacheTest {

    private final ScriptedModel model = new ScriptedModel(16, 0, 1, ids -> new float[16]);

    /** A state that has consumed exactly these tokens. */
    private ModelState consumed(int... tokens) {
        ModelState s = model.newState();
        model.prefill(s, tokens, 0, tokens.length, false);
        return s;
    }

    @Test
    void oneScanFindsTheLongestResumableStateAndTheLongestSharedPrefix() {
        PromptCache cache = new PromptCache(1 << 20);
        PromptCache.Match empty = cache.match(new int[] {1, 2, 3});
        assertNull(empty.hit());
        assertEquals(0, empty.sharedPrefix());

        ModelState three = consumed(1, 2, 3);
        cache.put(new int[] {1, 2, 3}, three);
        cache.put(new int[] {1, 2, 3, 4}, consumed(1, 2, 3, 4));
        cache.put(new int[] {1, 2, 7, 7, 7}, consumed(1, 2, 7, 7, 7));

        PromptCache.Match longer = cache.match(new int[] {1, 2, 3, 4, 5});
        assertNotNull(longer.hit());
        assertEquals(4, longer.hit().tokens(), "the longest entry that begins the prompt");
        assertEquals(4, longer.hit().state().position());
        assertEquals(4, longer.sharedPrefix());

        PromptCache.Match same = cache.match(new int[] {1, 2, 3, 4});
        assertEquals(3, same.hit().tokens(), "an entry as long as the prompt leaves no token to feed");
        assertEquals(4, same.sharedPrefix());

        PromptCache.Match parted = cache.match(new int[] {1, 2, 7, 7, 9, 9});
        assertNull(parted.hit(), "no entry begins this prompt whole");
        assertEquals(4, parted.sharedPrefix(), "but one shares its first four tokens");

        PromptCache.Match copy = cache.match(new int[] {1, 2, 3, 9});
        assertNotSame(three, copy.hit().state(), "a hit is a copy the caller owns");
        copy.hit().state().close();
        assertFalse(three.isClosed());

        PromptCache.Stats stats = cache.stats();
        assertEquals(3, stats.hits());
        assertEquals(2, stats.misses());
        assertEquals(4 + 3 + 3, stats.tokensSaved());
        assertEquals(3, stats.entries());
    }

    @Test
    void theBudgetEvictsTheLeastRecentlyUsedAndClosesIt() {
        PromptCache cache = new PromptCache(5 * Integer.BYTES); // the scripted state: four bytes a token
        ModelState first = consumed(1, 2, 3);
        cache.put(new int[] {1, 2, 3}, first);
        cache.put(new int[] {4, 5}, consumed(4, 5));
        assertNotNull(cache.match(new int[] {1, 2, 3, 9}).hit()); // [1, 2, 3] used last now
        cache.put(new int[] {6}, consumed(6));
        assertTrue(cache.contains(new int[] {1, 2, 3}));
        assertFalse(cache.contains(new int[] {4, 5}), "the least recently used entry made room");
        assertEquals(4 * Integer.BYTES, cache.stats().bytes());

        ModelState tooBig = consumed(1, 2, 3, 4, 5, 6);
        cache.put(new int[] {1, 2, 3, 4, 5, 6}, tooBig);
        assertTrue(tooBig.isClosed(), "a state over the whole budget is closed, not kept");
        assertFalse(first.isClosed());
    }
}
