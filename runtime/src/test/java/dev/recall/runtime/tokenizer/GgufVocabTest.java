package dev.recall.runtime.tokenizer;

import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer tests ({@code ../shared/llama.cpp/vocab}: a vocabulary-only GGUF, its
 * test strings and the ids Hugging Face's tokenizer gives them), with llama.cpp's conventions:
 * nothing added, special-token text not parsed. Every vocabulary there is checked, whichever it is.
 */
class GgufVocabTest {

    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @TestFactory
    Stream<DynamicTest> everyVocabularyTokenizesItsTestStrings() throws IOException {
        Path dir = SharedData.shared().resolve("llama.cpp").resolve("vocab");
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path gguf : files.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList()) {
                Path inp = Path.of(gguf + ".inp");
                if (Files.isRegularFile(inp)) {
                    tests.add(DynamicTest.dynamicTest(gguf.getFileName().toString(), () -> check(gguf, inp, Path.of(gguf + ".out"))));
                }
            }
        }
        assertTrue(!tests.isEmpty(), "no vocabularies in " + dir);
        return tests.stream();
    }

    private static void check(Path gguf, Path inp, Path out) throws IOException {
        List<String> inputs = split(Files.readString(inp, StandardCharsets.UTF_8));
        String[] lines = Files.readString(out, StandardCharsets.UTF_8).split("\n", -1);
        Tokenizer tokenizer = Tokenizers.forModel(gguf);
        for (int i = 0; i < inputs.size(); i++) {
            int[] expected = lines[i].isBlank() ? new int[0]
                    : Arrays.stream(lines[i].trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            String text = inputs.get(i);
            assertArrayEquals(expected, tokenizer.encode(text, false, false), gguf.getFileName() + " string " + i + ": " + text);
        }
        assertEquals(inputs.size(), Math.min(inputs.size(), lines.length), "expected ids for every string");
    }

    /** The .inp format: strings separated by lines "__ggml_vocab_test__" (vocab_check.py's reading). */
    private static List<String> split(String raw) {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(SEPARATOR, pos);
            if (next < 0) {
                out.add(raw.substring(pos));
                break;
            }
            out.add(raw.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        return out;
    }
}
