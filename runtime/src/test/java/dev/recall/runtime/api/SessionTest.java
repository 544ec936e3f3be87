package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.StopReason;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sessions on a model whose logits depend on every token seen: continuing must equal starting over. */
class SessionTest {

    private final HistoryModel lm = new HistoryModel(LetterTokenizer.EOS, true);
    private final LoadedModel model = new LoadedModel(Path.of("unused"), lm, new LetterTokenizer(),
            GenerationDefaults.huggingFace(List.of(LetterTokenizer.EOS)));
    private final GenerateOptions greedy = GenerateOptions.greedy(12);

    @Test
    void continuingASessionEqualsFeedingTheWholeTranscriptToAFreshOne() {
        Session session = model.session();
        StringBuilder streamed = new StringBuilder();
        String first = session.generate("hello", greedy, streamed::append);
        assertEquals(first, streamed.toString());
        int[] beforeSecond = session.tokens();
        String second = session.generate(" again", greedy, null);

        Session fresh = model.session();
        int[] transcript = concat(beforeSecond, new LetterTokenizer().encode(" again"));
        GenerationResult replay = fresh.generate(Prompt.plain(transcript), greedy, TokenListener.NONE);
        assertEquals(second, replay.text());
        assertArrayEquals(session.tokens(), fresh.tokens());
    }

    /**
     * Cancelling (or interrupting the thread) stops at the next token; the session keeps what was
     * generated and continues exactly as one that generated those tokens by a limit.
     */
    @Test
    void aCancelledGenerationLeavesTheSessionUsable() {
        Session cancelled = model.session();
        Cancellation cancel = new Cancellation();
        List<Integer> seen = new ArrayList<>();
        GenerationResult r = cancelled.generate(Prompt.plain(new LetterTokenizer().encode("hello")),
                greedy.withCancellation(cancel), TokenListener.onTokens((id, logits) -> {
                    seen.add(id);
                    if (seen.size() == 3) {
                        cancel.cancel();
                    }
                }));
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertEquals(3, r.ids().length);
        String after = cancelled.generate(" again", greedy, null);

        Session limited = model.session();
        GenerationResult three = limited.generate(Prompt.plain(new LetterTokenizer().encode("hello")),
                greedy.withMaxTokens(3), TokenListener.NONE);
        assertArrayEquals(three.ids(), r.ids());
        assertEquals(limited.generate(" again", greedy, null), after);
        assertArrayEquals(limited.tokens(), cancelled.tokens());

        // An interrupt of the generating thread stops it the same way; its status stays set.
        Session interrupted = model.session();
        GenerationResult i;
        try {
            java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
            i = interrupted.generate(Prompt.plain(new LetterTokenizer().encode("hello")), greedy,
                    TokenListener.onTokens((id, logits) -> {
                        if (count.incrementAndGet() == 2) {
                            Thread.currentThread().interrupt();
                        }
                    }));
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
        assertEquals(StopReason.CANCELLED, i.stopReason());
        assertArrayEquals(Arrays.copyOf(three.ids(), 2), i.ids());
        Session two = model.session();
        two.generate(Prompt.plain(new LetterTokenizer().encode("hello")), greedy.withMaxTokens(2), TokenListener.NONE);
        assertEquals(two.generate(" again", greedy, null), interrupted.generate(" again", greedy, null));

        // Cancelled before it starts: nothing generated, and the session continues from the prompt.
        Cancellation early = new Cancellation();
        early.cancel();
        Session none = model.session();
        GenerationResult empty = none.generate(Prompt.plain(new LetterTokenizer().encode("hello")),
                greedy.withCancellation(early), TokenListener.NONE);
        assertEquals(0, empty.ids().length);
        assertEquals(StopReason.CANCELLED, empty.stopReason());
        Session zero = model.session();
        zero.generate(Prompt.plain(new LetterTokenizer().encode("hello")), greedy.withMaxTokens(0), TokenListener.NONE);
        assertEquals(zero.generate(" again", greedy, null), none.generate(" again", greedy, null));
    }

    /** start() runs on its own thread: the same result as generate(), stoppable through its handle. */
    @Test
    void anAsyncGenerationGivesTheSameResultAndCanBeCancelled() throws Exception {
        Prompt hello = Prompt.plain(new LetterTokenizer().encode("hello"));
        GenerationResult sync = model.session().generate(hello, greedy, TokenListener.NONE);
        GenerationResult async = model.session().start(hello, greedy, TokenListener.NONE).result()
                .get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertArrayEquals(sync.ids(), async.ids());
        assertEquals(sync.text(), async.text());

        Session session = model.session();
        java.util.concurrent.CountDownLatch twoTokens = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        Generation running = session.start(hello, greedy, TokenListener.onTokens((id, logits) -> {
            if (count.incrementAndGet() == 2) {
                twoTokens.countDown();
                try {
                    cancelled.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        assertTrue(twoTokens.await(30, java.util.concurrent.TimeUnit.SECONDS));
        IllegalStateException busy = assertThrows(IllegalStateException.class,
                () -> session.generate(" again", greedy, null));
        assertTrue(busy.getMessage().contains("one generation at a time"), busy.getMessage());
        running.cancel();
        cancelled.countDown();
        GenerationResult r = running.result().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertArrayEquals(Arrays.copyOf(sync.ids(), 2), r.ids());
        session.generate(" again", greedy, null); // usable again once the generation has ended
    }

    /** warmUp leaves nothing behind: its states are closed and what the model generates is unchanged. */
    @Test
    void warmUpClosesItsStatesAndChangesNothing() {
        String before = model.session().generate("hello", greedy, null);
        int open = (int) lm.states.stream().filter(s -> !s.isClosed()).count();
        model.warmUp();
        assertEquals(open, lm.states.stream().filter(s -> !s.isClosed()).count(), "every warm-up state closed");
        assertEquals(before, model.session().generate("hello", greedy, null));
    }

    /** Log-probabilities on request: one per generated token, the greedy choice the most likely. */
    @Test
    void logprobsComeWithEveryTokenWhenAskedFor() {
        GenerationResult r = model.session().generate(Prompt.plain(new LetterTokenizer().encode("hello")),
                greedy.withLogprobs(3), TokenListener.NONE);
        assertEquals(r.ids().length, r.logprobs().size());
        for (int i = 0; i < r.ids().length; i++) {
            var t = r.logprobs().get(i);
            assertEquals(r.ids()[i], t.id());
            assertEquals(3, t.top().size());
            assertEquals(t.id(), t.top().get(0).id(), "greedy picks the most likely token");
            assertEquals(t.logprob(), t.top().get(0).logprob());
        }
        assertTrue(model.session().generate(Prompt.plain(new LetterTokenizer().encode("hello")), greedy,
                TokenListener.NONE).logprobs().isEmpty());
    }

    @Test
    void snapshotRestoreReproducesTheContinuation() {
        Session session = model.session();
        session.generate("the cat sat", greedy, null);
        Session.Snapshot saved = session.snapshot();
        String a = session.generate(" then", greedy, null);
        String b = session.generate(" and", greedy, null);
        session.restore(saved);
        assertEquals(a, session.generate(" then", greedy, null));
        session.restore(saved);
        assertEquals(saved.length(), session.tokens().length);
        assertEquals(a, session.generate(" then", greedy, null));
        assertEquals(b, session.generate(" and", greedy, null));
    }

    /** A state the session lets go of is closed (an attention cache goes back to the model); the rest stay usable. */
    @Test
    void statesTheSessionLetsGoOfAreClosed() {
        Session session = model.session();
        session.generate("the cat", greedy, null);
        HistoryModel.State first = lm.states.get(lm.states.size() - 1);
        Session.Snapshot saved = session.snapshot();
        session.generate(" sat", greedy, null);
        assertTrue(!first.isClosed(), "the state a session continues stays open");
        session.restore(saved);
        assertTrue(first.isClosed(), "restore closes the state it replaces");
        session.restore(saved);
        session.generate(" sat", greedy, null); // the snapshot stays usable
        session.reset();
        assertEquals(1, lm.states.stream().filter(s -> !s.isClosed()).count(),
                "after reset only the snapshot's own copy is open");
        assertTrue(session.isFresh());

        session.generateTranscript(new LetterTokenizer().encode("user: hi"), greedy, TokenListener.NONE);
        HistoryModel.State before = lm.states.get(lm.states.size() - 1);
        session.generateTranscript(new LetterTokenizer().encode("user: other"), greedy, TokenListener.NONE);
        assertTrue(before.isClosed(), "a transcript that starts over closes the old state");
    }

    /** Closing a snapshot closes its copy of the state; restoring it afterwards is refused, the session unharmed. */
    @Test
    void aClosedSnapshotHoldsNoStateAndCannotBeRestored() {
        Session session = model.session();
        session.generate("the cat", greedy, null);
        Session.Snapshot saved = session.snapshot();
        HistoryModel.State copy = lm.states.get(lm.states.size() - 1);
        assertTrue(saved.sizeBytes() > 0);
        session.generate(" sat", greedy, null);
        int[] seen = session.tokens();
        saved.close();
        assertTrue(copy.isClosed(), "the snapshot's copy of the state is closed");
        assertEquals(0, saved.sizeBytes());
        saved.close(); // again: nothing
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> session.restore(saved));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertArrayEquals(seen, session.tokens(), "a refused restore leaves the session as it was");
        session.generate(" down", greedy, null); // the session itself goes on
        session.reset();
        assertTrue(lm.states.stream().allMatch(HistoryModel.State::isClosed), "nothing left open");

        try (Session.Snapshot fresh = model.session().snapshot()) { // before any prompt: no state to close
            assertEquals(0, fresh.sizeBytes());
        }
    }

    /** A decode that fails leaves no state open: neither a strategy's new one nor the session's own. */
    @Test
    void aFailedGenerationClosesItsStates() {
        TokenListener failing = piece -> {
            throw new IllegalStateException("the client went away");
        };
        Session fresh = model.session();
        assertThrows(IllegalStateException.class, () -> fresh.generate("hello", greedy, failing::onText));
        assertTrue(fresh.isFresh(), "the failed session starts over");
        Session going = model.session();
        going.generate("hello", greedy, null);
        assertThrows(IllegalStateException.class, () -> going.generate(" again", greedy, failing::onText));
        assertTrue(going.isFresh());
        assertTrue(lm.states.stream().allMatch(HistoryModel.State::isClosed), "every state closed");

        // An Error (out of memory in a listener, say) as well: the session does not keep a closed state.
        TokenListener exhausted = piece -> {
            throw new OutOfMemoryError("simulated");
        };
        Session third = model.session();
        third.generate("hello", greedy, null);
        assertThrows(OutOfMemoryError.class, () -> third.generate(" again", greedy, exhausted::onText));
        assertTrue(third.isFresh(), "the session starts over instead of holding its closed state");
        third.generate("hello", greedy, null); // a new conversation, on a new state
        int[] hello = new LetterTokenizer().encode("hello");
        assertArrayEquals(hello, Arrays.copyOf(third.tokens(), hello.length));
        assertEquals(1, lm.states.stream().filter(s -> !s.isClosed()).count(), "only the new conversation's state is open");
    }

    @Test
    void transcriptsReuseWhatTheSessionAlreadySaw() {
        Session session = model.session();
        LetterTokenizer tok = new LetterTokenizer();
        GenerationResult r1 = session.generateTranscript(tok.encode("user: hi\nassistant:"), greedy, TokenListener.NONE);
        int[] seen = session.tokens();
        long before = lm.consumed.get();
        int[] next = concat(seen, tok.encode("\nuser: more\nassistant:"));
        GenerationResult r2 = session.generateTranscript(next, greedy, TokenListener.NONE);
        // Only the new part (and the pending last reply token) went through the model, plus the reply.
        long fed = lm.consumed.get() - before;
        int newPart = next.length - seen.length + 1;
        assertEquals(newPart + Math.max(0, r2.ids().length - 1), fed);

        // A transcript that does not begin with what the session saw starts over, with the same result
        // as a fresh session.
        int[] other = tok.encode("user: something else\nassistant:");
        GenerationResult r3 = session.generateTranscript(other, greedy, TokenListener.NONE);
        GenerationResult fresh = model.session().generateTranscript(other, greedy, TokenListener.NONE);
        assertArrayEquals(fresh.ids(), r3.ids());
        assertTrue(r1.ids().length > 0);
    }

    @Test
    void progressIsReportedPerPieceOfPrefill() {
        List<String> updates = new ArrayList<>();
        char[] longPrompt = new char[1200];
        Arrays.fill(longPrompt, 'a');
        model.session().generate(new String(longPrompt), greedy.withMaxTokens(1)
                .withProgress((done, total, unit) -> updates.add(done + "/" + total + " " + unit)), null);
        assertEquals(List.of("512/1200 tokens", "1024/1200 tokens", "1200/1200 tokens"), updates);
    }

    @Test
    void zeroTokensThenContinueUsesTheKeptLogits() {
        Session a = model.session();
        assertEquals("", a.generate("abc", greedy.withMaxTokens(0), null));
        String continued = a.generate("", greedy, null);
        assertEquals(model.session().generate("abc", greedy, null), continued);
    }

    @Test
    void strategiesApplyOnlyToTheFirstPrompt() {
        Session session = model.session();
        session.generate("abc", greedy, null);
        GenerateOptions oprm = greedy.withStrategy(StrategyOptions.oprm().withChunk(8).withIdkPhrase(""));
        RecallException e = assertThrows(RecallException.class, () -> session.generate("def", oprm, null));
        assertTrue(e.getMessage().contains("first prompt of a session"), e.getMessage());
    }

    @Test
    void anEmptyFirstPromptWithoutBosIsRefused() {
        RecallException e = assertThrows(RecallException.class, () -> model.session().generate("", greedy, null));
        assertTrue(e.getMessage().contains("no BOS"), e.getMessage());
    }

    @Test
    void eosEndsTheReplyAndIsNotInTheText() {
        // Long enough that this model's EOS comes up: the reply stops there, shorter than the limit.
        GenerationResult r = model.session().generate(Prompt.plain(new LetterTokenizer().encode("x")),
                GenerateOptions.greedy(2000), TokenListener.NONE);
        assertEquals(StopReason.EOS, r.stopReason());
        assertEquals(LetterTokenizer.EOS, r.ids()[r.ids().length - 1]);
        assertEquals(r.ids().length - 1, r.text().length());
    }

    private static int[] concat(int[] a, int[] b) {
        return Prompt.concat(a, b);
    }
}
