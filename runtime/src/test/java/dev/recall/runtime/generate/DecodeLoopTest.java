package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.PlainStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyReport;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.recall.runtime.generate.ByteTokenizer.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeLoopTest {

    private static final int EOS = 0;
    private static final int HELLO = 1;
    private static final int WORLD = 2;
    private static final int BANG = 3;
    private static final int E_ACUTE_FIRST_BYTE = 4;
    private static final int E_ACUTE_SECOND_BYTE = 5;
    private static final int ST = 6;
    private static final int OP = 7;
    private static final int NEWLINE = 8;

    private static final ByteTokenizer TOKENIZER = new ByteTokenizer(
            utf8("<eos>"), utf8("Hello"), utf8(" world"), utf8("!"),
            new byte[]{(byte) 0xC3}, new byte[]{(byte) 0xA9}, utf8("ST"), utf8("OP"), utf8("\n"));

    /** Collects what the loop streams. */
    private static final class Recorder implements TokenListener {
        final List<String> pieces = new ArrayList<>();
        final List<Integer> ids = new ArrayList<>();
        final List<float[]> logits = new ArrayList<>();

        @Override
        public void onText(String piece) {
            assertFalse(piece.isEmpty(), "pieces are never empty");
            pieces.add(piece);
        }

        @Override
        public void onToken(int id, float[] l) {
            ids.add(id);
            logits.add(l.clone());
        }

        String streamed() {
            return String.join("", pieces);
        }
    }

    /** Prefill of one token whose successor (under the chain) starts the generation. */
    private static Prepared after(ChainModel model, int token) {
        ModelState state = model.newState();
        float[] logits = model.prefill(state, new int[]{token});
        return new Prepared(state, logits, new StrategyReport.Plain("test", 1, 0));
    }

    private static GenerationResult greedy(ChainModel model, int startToken, int maxTokens, StopCondition stop,
                                           Recorder recorder) {
        return new DecodeLoop(model, TOKENIZER).decode(after(model, startToken),
                new DecodeLoop.Options(SamplingOptions.greedy(maxTokens), stop), recorder);
    }

    @Test
    void greedyFollowsTheArgmaxAndStepsOncePerTokenButTheLast() {
        // EOS→Hello→ world→!→\n→Hello ...
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        Recorder rec = new Recorder();
        Prepared start = after(model, EOS);
        GenerationResult r = new DecodeLoop(model, TOKENIZER).decode(start,
                new DecodeLoop.Options(SamplingOptions.greedy(6), StopCondition.none()), rec);
        assertArrayEquals(new int[]{HELLO, WORLD, BANG, NEWLINE, HELLO, WORLD}, r.ids());
        assertEquals("Hello world!\nHello world", r.text());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(r.text(), rec.streamed());
        assertEquals(5, model.stepCalls);
        assertEquals(1 + 5, start.state().position(), "the state stops one token short of the output");
        assertEquals(1, r.promptTokens());
        assertEquals(new StrategyReport.Plain("test", 1, 0), r.diagnostics());
    }

    @Test
    void maxTokensZeroGeneratesNothing() {
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 0, StopCondition.eos(List.of(EOS)), rec);
        assertEquals(0, r.ids().length);
        assertEquals("", r.text());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertTrue(rec.pieces.isEmpty() && rec.ids.isEmpty());
        assertEquals(0, model.stepCalls);
        assertTrue(Double.isNaN(r.decodeTokensPerSecond()));
    }

    @Test
    void eosStopsAndIsKeptInIdsButNotInText() {
        ChainModel model = ChainModel.following(HELLO, WORLD, EOS, -1, -1, -1, -1, -1, -1);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 50, StopCondition.eos(List.of(EOS)), rec);
        assertArrayEquals(new int[]{HELLO, WORLD, EOS}, r.ids());
        assertEquals("Hello world", r.text());
        assertEquals(StopReason.EOS, r.stopReason());
        assertEquals("Hello world", rec.streamed());
        assertEquals(2, model.stepCalls);
    }

    @Test
    void stopStringAcrossTokensCutsTheTextAndIsNeverStreamed() {
        // Hello world ST OP ! ...
        ChainModel model = ChainModel.following(HELLO, WORLD, ST, NEWLINE, -1, -1, OP, BANG, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 50, StopCondition.none().withStopStrings(List.of("STOP")), rec);
        assertArrayEquals(new int[]{HELLO, WORLD, ST, OP}, r.ids());
        assertEquals("Hello world", r.text());
        assertEquals(StopReason.STOP_STRING, r.stopReason());
        assertEquals(r.text(), rec.streamed());
        assertEquals(List.of("Hello", " world"), rec.pieces, "\"ST\" was held back, then cut");
    }

    @Test
    void stopStringInsideOneTokenKeepsTheTextBeforeIt() {
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 50, StopCondition.none().withStopStrings(List.of("!\nHel", "orl")), rec);
        assertEquals("Hello w", r.text(), "the earliest stop string wins");
        assertEquals(StopReason.STOP_STRING, r.stopReason());
        assertEquals(r.text(), rec.streamed());
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStopString() {
        ChainModel model = ChainModel.following(HELLO, WORLD, ST, NEWLINE, -1, -1, OP, BANG, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 5, StopCondition.none().withStopStrings(List.of("STX", "!!")), rec);
        assertEquals("Hello worldSTOP!", r.text());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(r.text(), rec.streamed());
        assertEquals(List.of("Hello", " world", "STOP", "!"), rec.pieces,
                "\"ST\" waits for \"OP\"; the final \"!\" waits for the end");
    }

    @Test
    void multiByteCharactersAreStreamedWhole() {
        ChainModel model = ChainModel.following(HELLO, E_ACUTE_FIRST_BYTE, -1, NEWLINE, E_ACUTE_SECOND_BYTE, BANG,
                -1, -1, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 4, StopCondition.none(), rec);
        assertArrayEquals(new int[]{HELLO, E_ACUTE_FIRST_BYTE, E_ACUTE_SECOND_BYTE, BANG}, r.ids());
        assertEquals("Helloé!", r.text());
        assertEquals(List.of("Hello", "é", "!"), rec.pieces);
    }

    @Test
    void anUnfinishedCharacterAtTheEndIsFlushedAsReplacement() {
        ChainModel model = ChainModel.following(HELLO, E_ACUTE_FIRST_BYTE, -1, -1, E_ACUTE_SECOND_BYTE, -1,
                -1, -1, -1);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 2, StopCondition.none(), rec);
        assertEquals("Hello\uFFFD", r.text());
        assertEquals(r.text(), rec.streamed());
    }

    @Test
    void listenerSeesEachIdWithTheLogitsItWasChosenFrom() {
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        Recorder rec = new Recorder();
        GenerationResult r = greedy(model, EOS, 4, StopCondition.none(), rec);
        assertEquals(List.of(HELLO, WORLD, BANG, NEWLINE), rec.ids);
        int previous = EOS;
        for (int i = 0; i < r.ids().length; i++) {
            assertArrayEquals(model.row(previous), rec.logits.get(i), "logits of step " + i);
            previous = r.ids()[i];
        }
    }

    @Test
    void samplingIsReproducibleBySeed() {
        Random rnd = new Random(1);
        float[][] rows = new float[9][9];
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) rnd.nextGaussian();
            }
        }
        int[] a = sample(new ChainModel(rows), 99);
        int[] b = sample(new ChainModel(rows), 99);
        int[] c = sample(new ChainModel(rows), 100);
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    private static int[] sample(ChainModel model, long seed) {
        SamplingOptions options = new SamplingOptions(1.0, 0, 1, seed, 1, 40);
        return new DecodeLoop(model, TOKENIZER).decode(after(model, EOS),
                new DecodeLoop.Options(options, StopCondition.none()), TokenListener.NONE).ids();
    }

    @Test
    void strategyEntryPointPrefillsThePromptAndPenalisesItsTokens() {
        float[][] rows = new float[9][9];
        rows[WORLD][HELLO] = 5; // after " world" the model wants "Hello" (seen in the prompt) ...
        rows[WORLD][BANG] = 4;  // ... over "!" (unseen)
        ChainModel model = new ChainModel(rows);
        Prompt prompt = new Prompt(new int[]{HELLO}, new int[]{NEWLINE}, new int[]{WORLD});

        GenerationResult plain = new DecodeLoop(model, TOKENIZER).generate(new PlainStrategy(), prompt,
                new DecodeLoop.Options(SamplingOptions.greedy(1), StopCondition.none()),
                TokenListener.NONE, ProgressListener.NONE);
        assertArrayEquals(new int[]{HELLO}, plain.ids());
        assertEquals(3, plain.promptTokens());
        assertTrue(plain.prefillNanos() > 0);
        assertEquals("none", plain.diagnostics().strategy());

        GenerationResult penalised = new DecodeLoop(model, TOKENIZER).generate(new PlainStrategy(), prompt,
                new DecodeLoop.Options(new SamplingOptions(0, 0, 1, 0, 2.0, 1), StopCondition.none()),
                TokenListener.NONE, ProgressListener.NONE);
        assertArrayEquals(new int[]{BANG}, penalised.ids(), "5 / 2 < 4: the prompt's token is penalised");
    }

    /** A progress display ends before the first token is streamed, whatever the strategy reported. */
    @Test
    void progressIsFinishedBeforeTheFirstToken() {
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        List<String> events = new ArrayList<>();
        ProgressListener progress = new ProgressListener() {
            @Override
            public void update(long done, long total, String unit) {
                events.add("update");
            }

            @Override
            public void finish() {
                events.add("finish");
            }
        };
        TokenListener tokens = new TokenListener() {
            @Override
            public void onText(String piece) {
                events.add("text");
            }

            @Override
            public void onToken(int id, float[] logits) {
                events.add("token");
            }
        };
        Prompt prompt = new Prompt(new int[0], new int[]{EOS}, new int[0]);
        new DecodeLoop(model, TOKENIZER).generate(new PlainStrategy(), prompt,
                new DecodeLoop.Options(SamplingOptions.greedy(2), StopCondition.none()),
                tokens, progress);
        int finish = events.indexOf("finish");
        assertTrue(finish >= 0, events.toString());
        assertEquals(finish, events.lastIndexOf("finish"), "finished once: " + events);
        assertTrue(finish < events.indexOf("token") && finish < events.indexOf("text"), events.toString());
        assertFalse(events.subList(finish, events.size()).contains("update"), events.toString());
    }

    /** The frequency penalty counts what this generation produced: a loop is broken once it costs enough. */
    @Test
    void frequencyPenaltyBreaksARepeatedToken() {
        float[][] rows = new float[9][9];
        for (float[] row : rows) {
            row[HELLO] = 5;  // every token is followed by "Hello" ...
            row[BANG] = 4;   // ... or, next best, "!"
        }
        ChainModel model = new ChainModel(rows);
        SamplingOptions penalised = SamplingOptions.builder().frequencyPenalty(0.6).maxTokens(4).build();
        GenerationResult r = new DecodeLoop(model, TOKENIZER).decode(after(model, EOS),
                new DecodeLoop.Options(penalised, StopCondition.none()), TokenListener.NONE);
        // Hello (5), Hello (5 − 0.6 = 4.4 > 4), then 5 − 1.2 = 3.8 < 4: "!", then 5 − 1.2 vs 4 − 0.6: "Hello".
        assertArrayEquals(new int[]{HELLO, HELLO, BANG, HELLO}, r.ids());
        GenerationResult plain = new DecodeLoop(model, TOKENIZER).decode(after(model, EOS),
                new DecodeLoop.Options(SamplingOptions.greedy(4), StopCondition.none()), TokenListener.NONE);
        assertArrayEquals(new int[]{HELLO, HELLO, HELLO, HELLO}, plain.ids());
    }

    @Test
    void withoutTokenizerOnlyIdsAreProduced() {
        ChainModel model = ChainModel.following(HELLO, WORLD, BANG, NEWLINE, -1, -1, -1, -1, HELLO);
        GenerationResult r = new DecodeLoop(model, null).decode(after(model, EOS),
                new DecodeLoop.Options(SamplingOptions.greedy(3), StopCondition.none()), TokenListener.NONE);
        assertArrayEquals(new int[]{HELLO, WORLD, BANG}, r.ids());
        assertEquals("", r.text());
        RecallException e = assertThrows(RecallException.class, () -> new DecodeLoop(model, null).decode(after(model, EOS),
                new DecodeLoop.Options(SamplingOptions.greedy(3), StopCondition.none().withStopStrings(List.of("x"))),
                TokenListener.NONE));
        assertTrue(e.getMessage().contains("tokenizer"));
    }

    /** Logits that are not numbers (damaged weights) end in a sentence, not in a silent empty reply. */
    @Test
    void logitsThatAreNotNumbersAreRefused() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            ScriptedModel model = new ScriptedModel(8, 0, 0, seq -> {
                float[] l = new float[8];
                l[seq.length % 8] = seq.length > 2 ? bad : 1f;
                return l;
            });
            RecallException e = assertThrows(RecallException.class, () -> new DecodeLoop(model, null).generate(
                    new PlainStrategy(), Prompt.plain(new int[] {1, 2}),
                    new DecodeLoop.Options(SamplingOptions.greedy(4), StopCondition.none()),
                    TokenListener.NONE, ProgressListener.NONE));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
            assertEquals(1, model.states.size());
            assertTrue(model.states.getFirst().isClosed(), "the state that failed mid-decode is closed");
        }
        // −∞ masks a token and is fine.
        ScriptedModel masked = new ScriptedModel(8, 0, 0, seq -> {
            float[] l = new float[8];
            l[0] = Float.NEGATIVE_INFINITY;
            l[3] = 2f;
            return l;
        });
        GenerationResult r = new DecodeLoop(masked, null).generate(new PlainStrategy(), Prompt.plain(new int[] {1}),
                new DecodeLoop.Options(SamplingOptions.greedy(2), StopCondition.none()),
                TokenListener.NONE, ProgressListener.NONE);
        assertArrayEquals(new int[] {3, 3}, r.ids());
    }
}
