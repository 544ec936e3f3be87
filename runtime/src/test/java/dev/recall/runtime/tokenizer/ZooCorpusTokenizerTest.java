package dev.recall.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The zoo tokenizer on the evaluation corpus and the reference pass-key prompts. */
class ZooCorpusTokenizerTest {

    private static final String PREFIX = "There is a pass key hidden in the text below. Find it and remember it.\n";
    private static final String QUERY = "\nWhat is the pass key? The pass key is";

    @Test
    void corpusRoundTripsAndSplitsOnEndOfText() throws IOException {
        Path corpus = SharedData.shared().resolve("corpus/brown_heldout.txt");
        Tokenizer tokenizer = Tokenizers.load(SharedData.zoo().resolve("llama"));
        String text = Files.readString(corpus);
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids));
        // Encoding again (now served from the word cache) gives the same ids.
        assertArrayEquals(ids, tokenizer.encode(text));
        int endOfText = tokenizer.tokenToId("<|endoftext|>").orElseThrow();
        long separators = Arrays.stream(ids).filter(id -> id == endOfText).count();
        assertEquals(text.split("\n<\\|endoftext\\|>\n", -1).length - 1, separators);
    }

    @Test
    void passKeyPromptPartsMatchReferenceIds() throws IOException {
        Path zoo = SharedData.zoo();
        Tokenizer tokenizer = Tokenizers.load(zoo.resolve("llama"));
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(zoo.resolve("passkey_prompts.jsonl"));
        assertEquals(40, lines.size());
        for (String line : lines) {
            JsonNode p = json.readTree(line);
            assertArrayEquals(GoldenTokenizerTest.ints(p.get("prefix_ids")), tokenizer.encode(PREFIX));
            assertArrayEquals(GoldenTokenizerTest.ints(p.get("query_ids")), tokenizer.encode(QUERY));
            String key = p.get("key").asText();
            int[] needle = tokenizer.encode(" The pass key is " + key + ". Remember it. " + key + " is the pass key. ");
            int[] prompt = GoldenTokenizerTest.ints(p.get("prompt_ids"));
            assertTrue(contains(prompt, needle), "needle for key " + key + " found in the prompt ids");
        }
    }

    private static boolean contains(int[] haystack, int[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
