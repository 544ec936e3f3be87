package dev.recall.runtime.strategy;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.Sampler;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OprmTest {

    static final int VOCAB = 16;
    static final int NEEDLE = 5;   // the token after NEEDLE is the answer
    static final int IDK = 12;
    static final int CERTAINTY = 9; // each occurrence makes an IDK answer more certain
    static final int EOS = 0;

    /**
     * A pass-key world: after the query, a sequence that holds NEEDLE x answers x (logit 6 + the
     * needle count); one without answers IDK with confidence growing with its CERTAINTY tokens.
     * After the answer the model says EOS.
     */
    static float[] passKeyScript(int[] seq) {
        float[] logits = new float[VOCAB];
        int last = seq[seq.length - 1];
        for (int i = 0; i + 1 < seq.length; i++) {
            if (seq[i] == NEEDLE && seq[i + 1] == last && i + 1 < seq.length - 1) {
                logits[EOS] = 20;
                return logits;
            }
        }
        for (int i = 0; i + 1 < seq.length; i++) {
            if (seq[i] == NEEDLE) {
                logits[seq[i + 1]] = 6;
                return logits;
            }
        }
        long certainty = Arrays.stream(seq).filter(t -> t == CERTAINTY).count();
        logits[IDK] = 2 + 4 * certainty;
        return logits;
    }

    static int[] filler(int n) {
        int[] f = new int[n];
        Arrays.fill(f, 3);
        return f;
    }

    static ScriptedModel model(int trainLength) {
        return new ScriptedModel(VOCAB, trainLength, 0, OprmTest::passKeyScript);
    }

    private static final int[] PREFIX = {1, 2};
    private static final int[] QUERY = {4};

    @Test
    void splitsTheContextIntoChunksAndPrefillsEachWithPrefixAndQuery() {
        int[] context = filler(50);
        context[40] = NEEDLE;
        context[41] = 7;
        ScriptedModel m = model(0);
        Prepared p = new Oprm(16, IDK, 0).prepare(m, new Prompt(PREFIX, context, QUERY));
        assertEquals(4, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        assertEquals(16, ((StrategyReport.Oprm) p.diagnostics()).chunkSize());
        assertEquals(4, m.prefills.size(), "one prefill per chunk, nothing re-prefilled");
        for (int k = 0; k < 4; k++) {
            int[] chunk = Arrays.copyOfRange(context, 16 * k, Math.min(50, 16 * (k + 1)));
            int[] expected = Prompt.concat(PREFIX, chunk, QUERY);
            assertTrue(m.prefills.stream().anyMatch(x -> Arrays.equals(x, expected)), "chunk " + k + " prompt");
        }
        assertEquals(2, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
        assertEquals(List.of(true, true, false, true), ((StrategyReport.Oprm) p.diagnostics()).idk());
        assertEquals(7, Sampler.argmax(p.logits()));
        // The kept state is the chosen chunk's prompt; decoding continues from it.
        ScriptedModel.State s = (ScriptedModel.State) p.state();
        assertArrayEquals(Prompt.concat(PREFIX, Arrays.copyOfRange(context, 32, 48), QUERY), s.tokens());
        assertEquals(EOS, Sampler.argmax(m.step(p.state(), 7)));
        @SuppressWarnings("unchecked")
        List<Double> entropies = ((StrategyReport.Oprm) p.diagnostics()).entropies();
        assertEquals(4, entropies.size());
        assertEquals(Oprm.entropy(passKeyScript(Prompt.concat(PREFIX, filler(16), QUERY))), entropies.get(0), 1e-12);
    }

    @Test
    void idkChunksAreSkippedEvenWhenMoreCertain() {
        int[] context = filler(40);
        context[3] = CERTAINTY;
        context[4] = CERTAINTY;          // chunk 0: IDK with logit 10 → very low entropy
        context[25] = NEEDLE;
        context[26] = 8;                 // chunk 2: the answer with logit 6
        Prepared p = new Oprm(10, IDK, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY));
        @SuppressWarnings("unchecked")
        List<Double> h = ((StrategyReport.Oprm) p.diagnostics()).entropies();
        assertTrue(h.get(0) < h.get(2), "the IDK chunk is the more certain one");
        assertEquals(2, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
        assertFalse(((StrategyReport.Oprm) p.diagnostics()).allIdk());
    }

    @Test
    void withoutTheFilterTheMostCertainChunkWins() {
        int[] context = filler(40);
        context[3] = CERTAINTY;
        context[4] = CERTAINTY;
        context[25] = NEEDLE;
        context[26] = 8;
        Prepared p = new Oprm(10, -1, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY));
        assertEquals(0, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
    }

    @Test
    void whenEveryChunkIsIdkTheyAllStayCandidates() {
        int[] context = filler(30);
        context[15] = CERTAINTY;         // chunk 1 is the most certain IDK
        Prepared p = new Oprm(10, IDK, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY));
        assertEquals(List.of(true, true, true), ((StrategyReport.Oprm) p.diagnostics()).idk());
        assertEquals(1, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
        assertTrue(((StrategyReport.Oprm) p.diagnostics()).allIdk());
    }

    @Test
    void tiesGoToTheLowestIndex() {
        // Identical chunks have identical entropies, whatever order the parallel tasks finish in.
        for (int repeat = 0; repeat < 20; repeat++) {
            Prepared p = new Oprm(5, IDK, 0).prepare(model(0), new Prompt(PREFIX, filler(60), QUERY));
            assertEquals(0, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
        }
        int[] context = filler(60);
        context[30] = NEEDLE;
        context[31] = 7;
        context[50] = NEEDLE;
        context[51] = 7;
        Prepared p = new Oprm(10, IDK, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY));
        assertEquals(3, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
    }

    @Test
    void defaultChunkFillsTheTrainingLength() {
        ScriptedModel m = model(20);
        Oprm oprm = new Oprm(0, IDK, 0);
        Prompt prompt = new Prompt(PREFIX, filler(50), QUERY);
        assertEquals(17, oprm.chunkSize(m, prompt));
        Prepared p = oprm.prepare(m, prompt);
        assertEquals(3, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        assertEquals(29, new Oprm(0, IDK, 32).chunkSize(m, prompt), "a training-length override wins");
        assertEquals(7, new Oprm(7, IDK, 32).chunkSize(m, prompt), "an explicit chunk wins");
    }

    @Test
    void aContextShorterThanOneChunkIsOneChunk() {
        Prepared p = new Oprm(100, IDK, 0).prepare(model(0), new Prompt(PREFIX, filler(5), QUERY));
        assertEquals(1, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        assertEquals(0, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
        assertEquals(8, p.state().position());
    }

    /** The OPRM reference uses chunks of 2,000 tokens whatever the model: the default when nothing else is known. */
    @Test
    void withoutATrainingLengthTheChunkIsTheReferences2000() {
        Prompt prompt = new Prompt(PREFIX, filler(4500), QUERY);
        assertEquals(2000, Oprm.DEFAULT_CHUNK);
        assertEquals(2000, new Oprm(0, IDK, 0).chunkSize(model(0), prompt));
        Prepared p = new Oprm(0, IDK, 0).prepare(model(0), prompt);
        assertEquals(3, ((StrategyReport.Oprm) p.diagnostics()).chunks());
        assertEquals(2000, ((StrategyReport.Oprm) p.diagnostics()).chunkSize());
        assertEquals(29, new Oprm(0, IDK, 32).chunkSize(model(0), prompt), "a training length still wins");
    }

    /** Any of several IDK tokens drops a chunk (the reference gives RWKV both "Error" and " Error"). */
    @Test
    void everyIdkTokenOfTheSetDropsAChunk() {
        int[] context = filler(30);
        context[3] = CERTAINTY;           // chunk 0: answers IDK (token 12) most certainly
        context[13] = NEEDLE;
        context[14] = 11;                 // chunk 1: answers 11, the second IDK token
        context[25] = NEEDLE;
        context[26] = 8;                  // chunk 2: the answer
        Prompt prompt = new Prompt(PREFIX, context, QUERY);
        Prepared one = new Oprm(10, new int[]{IDK}, 0, StrategyOptions.Selection.ENTROPY).prepare(model(0), prompt);
        assertEquals(List.of(true, false, false), ((StrategyReport.Oprm) one.diagnostics()).idk());
        Prepared two = new Oprm(10, new int[]{IDK, 11}, 0, StrategyOptions.Selection.ENTROPY).prepare(model(0), prompt);
        assertEquals(List.of(true, true, false), ((StrategyReport.Oprm) two.diagnostics()).idk());
        assertEquals(2, ((StrategyReport.Oprm) two.diagnostics()).chosenChunk());
        assertEquals(List.of(IDK, 11), ((StrategyReport.Oprm) two.diagnostics()).idkTokens());
        assertEquals(8, Sampler.argmax(two.logits()));
    }

    /** The reference's code-completion mode reads only the last chunk-size tokens of the context. */
    @Test
    void lastReadsOnlyTheEndOfTheContext() {
        int[] context = filler(45);
        context[2] = NEEDLE;
        context[3] = 7;                   // an answer at the start: never read
        ScriptedModel m = model(0);
        Prepared p = new Oprm(10, new int[0], 0, StrategyOptions.Selection.LAST).prepare(m, new Prompt(PREFIX, context, QUERY));
        StrategyReport.Oprm report = (StrategyReport.Oprm) p.diagnostics();
        assertEquals(1, report.chunks());
        assertEquals("last", report.selection());
        assertEquals(1, m.prefills.size());
        assertArrayEquals(Prompt.concat(PREFIX, Arrays.copyOfRange(context, 35, 45), QUERY), m.prefills.getFirst());
        assertEquals(IDK, Sampler.argmax(p.logits()));
    }

    /** Summaries: no IDK filter, so the most certain chunk wins even when it would answer "I don't know". */
    @Test
    void entropySummaryHasNoIdkFilter() {
        int[] context = filler(40);
        context[3] = CERTAINTY;
        context[4] = CERTAINTY;
        context[25] = NEEDLE;
        context[26] = 8;
        StrategyOptions.Oprm options = StrategyOptions.oprm().withChunk(10)
                .withSelection(StrategyOptions.Selection.ENTROPY_SUMMARY).withIdk(List.of("x"));
        Prepared p = Strategies.create(options, StrategiesTest.TOKENIZER).prepare(model(0), new Prompt(PREFIX, context, QUERY));
        StrategyReport.Oprm report = (StrategyReport.Oprm) p.diagnostics();
        assertEquals("entropy-summary", report.selection());
        assertEquals(List.of(), report.idkTokens());
        assertEquals(0, report.chosenChunk());
    }

    @Test
    void clearErrors() {
        Prompt prompt = new Prompt(PREFIX, filler(50), QUERY);
        RecallException noRoom = assertThrows(RecallException.class, () -> new Oprm(0, IDK, 3).prepare(model(0), prompt));
        assertTrue(noRoom.getMessage().contains("do not fit"), noRoom.getMessage());
        RecallException empty = assertThrows(RecallException.class,
                () -> new Oprm(10, IDK, 0).prepare(model(0), new Prompt(PREFIX, new int[0], QUERY)));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        RecallException noQuery = assertThrows(RecallException.class,
                () -> new Oprm(10, IDK, 0).prepare(model(0), Prompt.plain(filler(50))));
        assertTrue(noQuery.getMessage().contains("needs a query"), noQuery.getMessage());
    }

    /** A chunk whose logits are not numbers has entropy NaN: it must lose to every chunk, whenever it finishes. */
    @Test
    void aChunkWithNanEntropyIsNeverChosen() {
        int poison = 13;
        ScriptedModel m = new ScriptedModel(VOCAB, 0, 0, seq -> {
            float[] logits = passKeyScript(seq);
            if (Arrays.stream(seq).anyMatch(t -> t == poison)) {
                Arrays.fill(logits, Float.NaN);
            }
            return logits;
        });
        int[] context = filler(30);
        context[2] = poison;             // chunk 0: NaN logits, offered first with one thread
        context[25] = NEEDLE;
        context[26] = 8;                 // chunk 2: the answer
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                Prepared p = new Oprm(10, IDK, 0).prepare(m, new Prompt(PREFIX, context, QUERY));
                @SuppressWarnings("unchecked")
                List<Double> h = ((StrategyReport.Oprm) p.diagnostics()).entropies();
                assertTrue(Double.isNaN(h.get(0)), "chunk 0's entropy: " + h.get(0));
                assertEquals(2, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk(), threads + " threads");
                assertEquals(8, Sampler.argmax(p.logits()));
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Every chunk's state but the chosen one is closed (on a transformer, its attention cache goes
     * back to the model), whichever order the chunks finish in: with the IDK filter choosing a less
     * certain chunk, without it, and when every chunk is IDK.
     */
    @Test
    void everyStateButTheChosenOneIsClosed() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 4}) {
                Parallel.setThreads(threads);
                int[] context = filler(60);
                context[3] = CERTAINTY;
                context[4] = CERTAINTY;   // chunk 0: the most certain, but IDK
                context[25] = NEEDLE;
                context[26] = 8;          // chunk 2: the answer
                for (int idk : new int[] {IDK, -1}) {
                    ScriptedModel m = model(0);
                    Prepared p = new Oprm(10, idk, 0).prepare(m, new Prompt(PREFIX, context, QUERY));
                    assertEquals(idk == IDK ? 2 : 0, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
                    assertOnlyChosenOpen(m, p);
                }
                ScriptedModel allIdk = model(0);
                Prepared p = new Oprm(10, IDK, 0).prepare(allIdk, new Prompt(PREFIX, filler(60), QUERY));
                assertTrue(((StrategyReport.Oprm) p.diagnostics()).allIdk());
                assertOnlyChosenOpen(allIdk, p);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static void assertOnlyChosenOpen(ScriptedModel m, Prepared p) {
        assertEquals(((StrategyReport.Oprm) p.diagnostics()).chunks(), m.states.size());
        for (ScriptedModel.State s : m.states) {
            assertEquals(s != p.state(), s.isClosed(), s == p.state() ? "the chosen state is open" : "a losing state is closed");
        }
        int position = p.state().position();
        m.step(p.state(), 8); // the chosen state goes on decoding
        assertEquals(position + 1, p.state().position());
    }

    /** A chunk that fails leaves no state behind unclosed. */
    @Test
    void aFailedChunkClosesEveryState() {
        int poison = 13;
        ScriptedModel m = new ScriptedModel(VOCAB, 0, 0, seq -> {
            if (Arrays.stream(seq).anyMatch(t -> t == poison)) {
                throw new IllegalStateException("chunk failed");
            }
            return passKeyScript(seq);
        });
        int[] context = filler(50);
        context[45] = poison;            // the last chunk fails, after the others were offered
        int before = Parallel.threads();
        try {
            // One thread: every chunk has finished when the error comes back (with more, a chunk
            // still running then closes its state when it is offered).
            Parallel.setThreads(1);
            assertThrows(IllegalStateException.class, () -> new Oprm(10, IDK, 0).prepare(m, new Prompt(PREFIX, context, QUERY)));
        } finally {
            Parallel.setThreads(before);
        }
        assertEquals(5, m.states.size());
        assertTrue(m.states.stream().allMatch(ScriptedModel.State::isClosed), "every state closed");
    }

    @Test
    void entropyInNats() {
        assertEquals(Math.log(VOCAB), Oprm.entropy(new float[VOCAB]), 1e-12);
        float[] two = new float[]{0, 0, -1e4f, -1e4f};
        assertEquals(Math.log(2), Oprm.entropy(two), 1e-12);
        float[] l = {1, 2, 3};
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3), h = 0;
        for (float x : l) {
            double p = Math.exp(x) / z;
            h -= p * Math.log(p);
        }
        assertEquals(h, Oprm.entropy(l), 1e-12);
        assertEquals(1, Sampler.argmax(new float[]{0, 3, 3, 1}), "first maximum");
    }

    @Test
    void nestedParallelismCompletesWithMoreThreadsThanChunks() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[]{1, 2, 4}) {
                Parallel.setThreads(threads);
                int[] context = filler(300);
                context[200] = NEEDLE;
                context[201] = 9;
                Prepared p = new Oprm(7, IDK, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY));
                assertEquals(43, ((StrategyReport.Oprm) p.diagnostics()).chunks());
                assertEquals(28, ((StrategyReport.Oprm) p.diagnostics()).chosenChunk());
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void reportsEveryChunkAsItFinishes() {
        int[] context = new int[45];
        java.util.Arrays.fill(context, 3);
        java.util.List<Long> done = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.Set<String> units = java.util.Collections.synchronizedSet(new java.util.HashSet<>());
        new Oprm(10, IDK, 0).prepare(model(0), new Prompt(PREFIX, context, QUERY), (d, total, unit) -> {
            assertEquals(5, total);
            done.add(d);
            units.add(unit);
        });
        assertEquals(java.util.Set.of("chunks"), units);
        assertEquals(java.util.List.of(0L, 1L, 2L, 3L, 4L, 5L), done.stream().sorted().toList());
    }

    @Test
    void plainPrefillOfALongPromptReportsTokensInPieces() {
        int[] context = new int[1200];
        java.util.List<Long> done = new java.util.ArrayList<>();
        new PlainStrategy().prepare(model(0), Prompt.plain(context), (d, total, unit) -> {
            assertEquals(1200, total);
            assertEquals("tokens", unit);
            done.add(d);
        });
        assertEquals(java.util.List.of(512L, 1024L, 1200L), done);
    }
}
