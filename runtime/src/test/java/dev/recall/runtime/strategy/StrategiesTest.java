package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.testing.ScriptedModel;
import dev.recall.runtime.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrategiesTest {

    /** Encodes " unknown." as [496, 14] and anything else as its length in tokens of 1. */
    static final Tokenizer TOKENIZER = new Tokenizer() {
        @Override
        public int[] encode(String text) {
            return text.equals(" unknown.") ? new int[]{496, 14} : text.isEmpty() ? new int[0] : new int[]{1};
        }

        @Override
        public int[] encodeWithSpecialTokens(String text) {
            return encode(text);
        }

        @Override
        public String decode(int[] ids, boolean skipSpecial) {
            return "";
        }

        @Override
        public StreamDecoder streamDecoder() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int vocabSize() {
            return 4096;
        }

        @Override
        public OptionalInt tokenToId(String token) {
            return OptionalInt.empty();
        }

        @Override
        public String idToToken(int id) {
            return null;
        }
    };

    private static float[] flat(int[] seq) {
        return new float[8];
    }

    @Test
    void createsEachStrategy() {
        assertInstanceOf(PlainStrategy.class, Strategies.create(StrategyOptions.none(), null));
        assertInstanceOf(PlainStrategy.class, Strategies.create(StrategyOptions.named("plain", 0, null, 0, 0, 0), null));
        assertInstanceOf(PlainStrategy.class, Strategies.create(StrategyOptions.named(null, 0, null, 0, 0, 0), null));
        LongContextStrategy oprm = Strategies.create(StrategyOptions.oprm().withChunk(224), TOKENIZER);
        assertEquals("oprm", oprm.name());
        Prepared p = oprm.prepare(new ScriptedModel(8, 0, 0, StrategiesTest::flat), new Prompt(new int[]{1}, new int[300], new int[]{2}));
        assertEquals(496, ((StrategyReport.Oprm) p.diagnostics()).idkToken(), "IDK token = first token of the default phrase");
        assertEquals(2, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        LongContextStrategy lm = Strategies.create(StrategyOptions.lmInfinite().withNGlobal(4).withTrainLength(64), null);
        ScriptedModel attention = new ScriptedModel(8, 256, 2, StrategiesTest::flat);
        lm.prepare(attention, Prompt.plain(new int[]{1, 2, 3}));
        assertEquals(new AttentionPolicy.Lambda(4, 64), attention.policies.getFirst());
    }

    @Test
    void idkPhraseHandling() {
        assertEquals(1, Strategies.idkToken("x", TOKENIZER));
        assertEquals(-1, Strategies.idkToken("", null), "an empty phrase turns the filter off");
        assertThrows(RecallException.class, () -> Strategies.create(StrategyOptions.oprm(), null));
    }

    @Test
    void unknownNameIsAClearError() {
        RecallException e = assertThrows(RecallException.class,
                () -> StrategyOptions.named("streaming", 0, null, 0, 0, 0));
        assertTrue(e.getMessage().contains("streaming") && e.getMessage().contains("lm-infinite"), e.getMessage());
        assertThrows(RecallException.class, () -> StrategyOptions.oprm().withChunk(-1));
    }

    /** No strategy hands a model an empty prompt: the caller hears why in a sentence. */
    @Test
    void anEmptyPromptIsAClearError() {
        ScriptedModel attention = new ScriptedModel(8, 256, 2, StrategiesTest::flat);
        for (LongContextStrategy s : List.of(new PlainStrategy(), new LmInfinite(0, 0, 0))) {
            RecallException e = assertThrows(RecallException.class, () -> s.prepare(attention, Prompt.plain(new int[0])));
            assertTrue(e.getMessage().contains("prompt is empty"), s.name() + ": " + e.getMessage());
        }
        assertTrue(attention.prefills.isEmpty(), "the model was never asked to prefill nothing");
        assertTrue(attention.states.stream().allMatch(ScriptedModel.State::isClosed), "the unused states were closed");
    }

    /**
     * A prefill that fails part way (here a progress listener that gives up after the first piece)
     * closes the state it was filling: it holds part of a prompt nobody can continue, and its
     * attention cache goes back to the model.
     */
    @Test
    void aFailedPrefillClosesItsState() {
        ScriptedModel attention = new ScriptedModel(8, 256, 2, StrategiesTest::flat);
        int[] longPrompt = new int[LongContextStrategy.PROGRESS_PIECE + 10];
        ProgressListener givingUp = (done, total, unit) -> {
            throw new IllegalStateException("cancelled after " + done + " " + unit);
        };
        for (LongContextStrategy s : List.of(new PlainStrategy(), new LmInfinite(0, 0, 0))) {
            int before = attention.states.size();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> s.prepare(attention, Prompt.plain(longPrompt), givingUp));
            assertTrue(e.getMessage().contains("cancelled after " + LongContextStrategy.PROGRESS_PIECE), e.getMessage());
            assertEquals(before + 1, attention.states.size());
            ScriptedModel.State state = attention.states.get(before);
            assertEquals(LongContextStrategy.PROGRESS_PIECE, state.position(), s.name() + ": one piece went in");
            assertTrue(state.isClosed(), s.name() + ": the failed state is closed");
        }
    }
}
