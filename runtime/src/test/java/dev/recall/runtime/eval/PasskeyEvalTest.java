package dev.recall.runtime.eval;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.strategy.Oprm;
import dev.recall.runtime.strategy.PlainStrategy;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PasskeyEvalTest {

    static final int VOCAB = 20;
    static final int MARK = 15;  // the needle: MARK followed by the key's digit tokens
    static final int IDK = 16;
    static final int FILLER = 13;

    /**
     * A model with a short memory of {@code reach} tokens: it repeats the key that follows the
     * last MARK it can still see, then says EOS; with no MARK in reach it says IDK.
     */
    static ScriptedModel model(int reach) {
        return new ScriptedModel(VOCAB, 0, 0, seq -> {
            float[] logits = new float[VOCAB];
            int from = Math.max(0, seq.length - reach);
            int mark = -1;
            for (int i = from; i < seq.length; i++) {
                if (seq[i] == MARK) {
                    mark = i;
                }
            }
            if (mark < 0) {
                logits[IDK] = 3;
                return logits;
            }
            // Query token 17 ends the prompt; answer digits follow it.
            int query = -1;
            for (int i = seq.length - 1; i > mark; i--) {
                if (seq[i] == 17) {
                    query = i;
                    break;
                }
            }
            int answered = query < 0 ? 0 : seq.length - 1 - query;
            int keyAt = mark + 1 + answered;
            logits[keyAt < seq.length && seq[keyAt] != FILLER && seq[keyAt] != 17 ? seq[keyAt] : 0] = 8;
            return logits;
        });
    }

    static PasskeyPrompt prompt(int length, double depth, String key) {
        int[] prefix = {18, 18};
        int[] query = {17};
        int[] context = new int[length - 3];
        Arrays.fill(context, FILLER);
        int at = (int) (depth * (context.length - 4));
        context[at] = MARK;
        int[] keyIds = new DigitTokenizer(VOCAB).encode(key);
        System.arraycopy(keyIds, 0, context, at + 1, keyIds.length);
        return new PasskeyPrompt(length, depth, key, Prompt.concat(prefix, context, query), prefix, query);
    }

    @Test
    void plainForgetsWhatOprmRecovers() {
        List<PasskeyPrompt> prompts = List.of(prompt(20, 0.1, "123"), prompt(20, 0.9, "456"),
                prompt(80, 0.1, "789"), prompt(80, 0.9, "321"));
        DigitTokenizer tok = new DigitTokenizer(VOCAB);
        ScriptedModel m = model(30);
        PasskeyEval.Result plain = PasskeyEval.run(m, tok, new PlainStrategy(), "plain", prompts);
        assertEquals(Map.of(20, 1.0, 80, 0.5), plain.accuracy());
        assertEquals("123", plain.rows().get(0).answer());
        assertTrue(plain.rows().get(0).correct());
        assertFalse(plain.rows().get(2).correct(), "the needle at depth 0.1 of 80 tokens is out of reach");
        assertNull(plain.rows().get(0).chosenChunk());
        PasskeyEval.Result oprm = PasskeyEval.run(m, tok, new Oprm(16, IDK, 0), "oprm", prompts);
        assertEquals(Map.of(20, 1.0, 80, 1.0), oprm.accuracy());
        PasskeyEval.Row far = oprm.rows().get(2);
        assertEquals("789", far.answer());
        assertEquals(0, far.chosenChunk());
        assertEquals(5, far.entropies().size());
        assertEquals(List.of(false, true, true, true, true), far.idk());
        assertTrue(m.states.stream().allMatch(ScriptedModel.State::isClosed),
                "every prompt's states are closed once answered, so the next one reuses their caches");
        Map<String, Object> json = oprm.toJson();
        assertEquals("oprm", json.get("method"));
        assertEquals(Map.of("20", 1.0, "80", 1.0), json.get("accuracy"));
    }

    @Test
    void greedyStopsAtEosAndAfterSixTokens() {
        ScriptedModel m = model(100);
        DigitTokenizer tok = new DigitTokenizer(VOCAB);
        PasskeyEval.Row two = PasskeyEval.run(m, tok, new PlainStrategy(), prompt(30, 0.5, "12"));
        assertEquals("12", two.answer(), "EOS ends the answer and is not part of it");
        PasskeyEval.Row eight = PasskeyEval.run(m, tok, new PlainStrategy(), prompt(30, 0.3, "12345678"));
        assertEquals("123456", eight.answer(), "at most six tokens");
        assertFalse(eight.correct());
    }

    @Test
    void readsThePromptFileAndSplitsOutTheContext(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, """
                {"length": 8, "depth": 0.5, "key": "42", "prefix_ids": [1, 2], "query_ids": [9], "prompt_ids": [1, 2, 5, 6, 7, 9]}

                {"length": 4, "depth": 0.0, "key": "7", "prefix_ids": [], "query_ids": [], "prompt_ids": [3]}
                """);
        List<PasskeyPrompt> ps = PasskeyPrompt.read(f);
        assertEquals(2, ps.size());
        Prompt p = ps.getFirst().prompt();
        assertArrayEquals(new int[]{1, 2}, p.prefix());
        assertArrayEquals(new int[]{5, 6, 7}, p.context());
        assertArrayEquals(new int[]{9}, p.query());
        assertEquals("42", ps.getFirst().key());
        assertEquals(0.5, ps.getFirst().depth());
        assertArrayEquals(new int[]{3}, ps.get(1).prompt().context());
    }

    @Test
    void badPromptFilesAreClearErrors(@TempDir Path dir) throws IOException {
        assertThrows(RecallException.class, () -> PasskeyPrompt.read(dir.resolve("missing.jsonl")));
        Path mismatch = dir.resolve("m.jsonl");
        Files.writeString(mismatch, "{\"length\": 8, \"depth\": 0.5, \"key\": \"42\", \"prefix_ids\": [4], \"query_ids\": [9], \"prompt_ids\": [1, 2, 9]}\n");
        RecallException e = assertThrows(RecallException.class, () -> PasskeyPrompt.read(mismatch));
        assertTrue(e.getMessage().contains("prefix_ids"), e.getMessage());
        Path missing = dir.resolve("f.jsonl");
        Files.writeString(missing, "{\"length\": 8}\n");
        RecallException e2 = assertThrows(RecallException.class, () -> PasskeyPrompt.read(missing));
        assertTrue(e2.getMessage().contains("missing field"), e2.getMessage());
    }
}
