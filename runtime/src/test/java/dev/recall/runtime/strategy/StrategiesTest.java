package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.testing.ScriptedModel;
import dev.recall.runtime.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrategiesTest {

    /** Encodes " unknown." as [496, 14], "Error" as [77], " Error" as [78, 9] and anything else as [1]. */
    static final Tokenizer TOKENIZER = new Tokenizer() {
        @Override
        public int[] encode(String text) {
            return switch (text) {
                case " unknown." -> new int[]{496, 14};
                case "Error" -> new int[]{77};
                case " Error" -> new int[]{78, 9};
                case "" -> new int[0];
                default -> new int[]{1};
            };
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
        assertInstanceOf(PlainStrategy.class, Strategies.create(StrategyOptions.named("plain"), null));
        assertInstanceOf(PlainStrategy.class, Strategies.create(StrategyOptions.named(null), null));
        LongContextStrategy oprm = Strategies.create(StrategyOptions.oprm().withChunk(224), TOKENIZER);
        assertEquals("oprm", oprm.name());
        Prepared p = oprm.prepare(new ScriptedModel(8, 0, 0, StrategiesTest::flat), new Prompt(new int[]{1}, new int[300], new int[]{2}));
        assertEquals(List.of(77, 78), ((StrategyReport.Oprm) p.diagnostics()).idkTokens(),
                "IDK tokens = first tokens of the reference's \"Error\" and \" Error\"");
        assertEquals(2, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        LongContextStrategy lm = Strategies.create(StrategyOptions.lmInfinite().withNGlobal(4).withTrainLength(64), null);
        ScriptedModel attention = new ScriptedModel(8, 256, 2, StrategiesTest::flat);
        lm.prepare(attention, Prompt.plain(new int[]{1, 2, 3}));
        assertEquals(new AttentionPolicy.Lambda(4, 64), attention.policies.getFirst());
    }

    @Test
    void idkAnswerHandling() {
        assertArrayEquals(new int[]{1}, Strategies.idkTokens(List.of("x"), TOKENIZER));
        assertArrayEquals(new int[]{496, 77}, Strategies.idkTokens(List.of(" unknown.", "Error", "Error"), TOKENIZER),
                "the first token of each answer, each once");
        assertEquals(List.of(), StrategyOptions.oprm().withIdkPhrase("").idkAnswers(), "an empty phrase turns the filter off");
        assertEquals(List.of(), StrategyOptions.oprm().withIdkFilter(false).idkAnswers());
        assertEquals(List.of(), StrategyOptions.oprm().withSelection(StrategyOptions.Selection.ENTROPY_SUMMARY).idkAnswers(),
                "summaries have no IDK answer");
        assertEquals(List.of(" x"), StrategyOptions.oprm().withIdk(List.of(" x")).idkAnswers());
        assertThrows(RecallException.class, () -> Strategies.create(StrategyOptions.oprm(), null));
        assertThrows(RecallException.class, () -> Strategies.idkTokens(List.of(""), TOKENIZER));
        assertThrows(RecallException.class, () -> StrategyOptions.oprm().withIdk(List.of()));
    }

    @Test
    void idkInstructionFollowsTheQueryWhileTheFilterIsOn() {
        String sentence = "If the answer does not exist in the passages, return \"Error\".";
        assertEquals("Who? " + sentence, StrategyOptions.oprm().query("Who?"));
        assertEquals("Who?\n" + sentence, StrategyOptions.oprm().query("Who?\n"), "no space after white space");
        assertEquals(null, StrategyOptions.oprm().query(null), "no question: OPRM still refuses it");
        assertEquals("", StrategyOptions.oprm().query(""));
        assertEquals("Who?", StrategyOptions.oprm().withIdkFilter(false).query("Who?"));
        assertEquals("Who?", StrategyOptions.oprm().withIdkInstruction("").query("Who?"));
        assertEquals("Who? Say so.", StrategyOptions.oprm().withIdkInstruction("Say so.").query("Who?"));
        assertEquals("Who?", StrategyOptions.oprm().withSelection(StrategyOptions.Selection.LAST).query("Who?"));
    }

    @Test
    void selectionNames() {
        for (StrategyOptions.Selection s : StrategyOptions.Selection.values()) {
            assertEquals(s, StrategyOptions.Selection.named(s.label()));
        }
        assertEquals("entropy-summary", StrategyOptions.Selection.ENTROPY_SUMMARY.label());
        RecallException e = assertThrows(RecallException.class, () -> StrategyOptions.Selection.named("best"));
        assertTrue(e.getMessage().contains("entropy-summary"), e.getMessage());
    }

    @Test
    void unknownNameIsAClearError() {
        RecallException e = assertThrows(RecallException.class,
                () -> StrategyOptions.named("streaming"));
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
