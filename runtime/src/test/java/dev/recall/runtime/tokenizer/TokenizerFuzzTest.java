package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded fuzzing of the tokenizer: arbitrary (also ill-formed) text never crashes the encoder, a
 * byte-level tokenizer round-trips every well-formed string exactly, and mutated tokenizer.json
 * files either load and work or fail with the project's own exception.
 */
class TokenizerFuzzTest {

    static Tokenizer brown;
    static String brownJson;

    @BeforeAll
    static void load() throws IOException {
        Path p = SharedData.resource("tokenizers/brown-bpe.tokenizer.json");
        brown = Tokenizers.load(p);
        brownJson = Files.readString(p);
    }

    /** Random text mixing ASCII, whitespace, Latin/CJK/emoji, combining marks and lone surrogates. */
    static String randomText(SplittableRandom rnd, boolean allowLoneSurrogates) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(40);
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(9)) {
                case 0 -> sb.append((char) (32 + rnd.nextInt(95)));
                case 1 -> sb.append(" \t\n\r\u00a0\u3000".charAt(rnd.nextInt(6)));
                case 2 -> sb.appendCodePoint(0x4e00 + rnd.nextInt(0x5000));
                case 3 -> sb.appendCodePoint(0x1f300 + rnd.nextInt(0x300));
                case 4 -> sb.appendCodePoint(0x0300 + rnd.nextInt(0x70));
                case 5 -> sb.append("<|endoftext|>");
                case 6 -> sb.appendCodePoint(rnd.nextInt(0x20));
                case 7 -> sb.append(allowLoneSurrogates ? (char) (0xd800 + rnd.nextInt(0x800)) : 'x');
                default -> sb.append("the pass key is 12345. ", 0, 1 + rnd.nextInt(22));
            }
        }
        return sb.toString();
    }

    @Test
    void byteLevelRoundTripsEveryWellFormedString() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < 5000; i++) {
                String text = randomText(rnd, false);
                int[] ids = brown.encode(text);
                for (int id : ids) {
                    assertTrue(id >= 0 && id < brown.vocabSize(), "id out of range for " + text);
                }
                assertEquals(text, brown.decode(ids), "round trip");
                Tokenizer.StreamDecoder stream = brown.streamDecoder();
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) {
                    streamed.append(stream.push(id));
                }
                streamed.append(stream.flush());
                assertEquals(text, streamed.toString(), "streamed round trip");
            }
        });
    }

    @Test
    void illFormedTextNeverCrashes() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rnd = new SplittableRandom(11);
            for (int i = 0; i < 5000; i++) {
                String text = randomText(rnd, true);
                try {
                    brown.decode(brown.encode(text));
                } catch (RecallException expected) {
                    // a clear refusal is acceptable
                } catch (Throwable t) {
                    fail("text " + text.codePoints().mapToObj(Integer::toHexString).toList() + " escaped as " + t, t);
                }
            }
        });
    }

    @Test
    void mutatedTokenizerFilesFailCleanly(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom rnd = new SplittableRandom(13);
            String[] tokens = {"{", "}", "[", "]", ",", ":", "\"", "null", "-1", "\"Unigram\"", "\"type\"", "true", "1e309", "\"\\ud800\""};
            // Mutate within the first part of the file, where the model type, pipeline and added tokens live.
            int window = Math.min(brownJson.length(), 4000);
            Path file = dir.resolve("tokenizer.json");
            for (int i = 0; i < 300; i++) {
                StringBuilder s = new StringBuilder(brownJson);
                int edits = 1 + rnd.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    int at = rnd.nextInt(window);
                    switch (rnd.nextInt(3)) {
                        case 0 -> s.deleteCharAt(at);
                        case 1 -> s.insert(at, tokens[rnd.nextInt(tokens.length)]);
                        default -> s.replace(at, Math.min(s.length(), at + 1 + rnd.nextInt(8)), tokens[rnd.nextInt(tokens.length)]);
                    }
                }
                Files.writeString(file, s);
                try {
                    Tokenizer t = Tokenizers.load(file);
                    t.decode(t.encode("The pass key is 52445. Remember it."));
                } catch (RecallException expected) {
                    // the only acceptable failure
                } catch (Throwable t) {
                    fail("mutation " + i + " escaped as " + t, t);
                }
            }
        });
    }
}
