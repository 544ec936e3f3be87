package dev.recall.cli;

import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GGUF files through the command line: tokenize, info and generate take a .gguf as --model. */
class GgufCliTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static Path vocab(String name) {
        return SharedData.shared().resolve("llama.cpp/vocab/ggml-vocab-" + name + ".gguf");
    }

    @Test
    void tokenizePrintsOneArrayPerInputWithLlamaCppsConventions() throws IOException {
        Path gguf = vocab("llama-bpe");
        Run plain = run("tokenize", "--model", gguf.toString(), "--text", "Hello <|eot_id|> world");
        assertEquals(0, plain.code(), plain.err());
        assertEquals("[9906, 83739, 68, 354, 851, 91, 29, 1917]\n", plain.out(), "special text read as text");
        Run special = run("tokenize", "--model", gguf.toString(), "--text", "Hello <|eot_id|> world",
                "--parse-special", "--add-special");
        assertEquals("[128000, 9906, 220, 128009, 1917]\n", special.out(), "BOS added, <|eot_id|> parsed");

        Path jsonl = tmp.resolve("in.jsonl");
        Files.writeString(jsonl, "\"Hello\"\n\"\"\n\" world\\n\"\n");
        Run lines = run("tokenize", "--model", gguf.toString(), "--jsonl", jsonl.toString());
        assertEquals(0, lines.code(), lines.err());
        assertEquals(3, lines.out().lines().count(), lines.out());
        assertEquals("[]", lines.out().lines().toList().get(1), "an empty string has no tokens");

        Files.writeString(jsonl, "\"ok\"\nnot json\n");
        Run bad = run("tokenize", "--model", gguf.toString(), "--jsonl", jsonl.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("recall: ") && bad.err().contains("line 2 is not a JSON string"), bad.err());
    }

    @Test
    void aVocabularyOnlyFileIsRefusedForGenerationInOneLine() {
        Run r = run("info", "--model", vocab("qwen2").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds no tensors: a vocabulary-only GGUF file"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void infoShowsTheTypeMixAndGenerateStreamsFromAQuantizedFile() {
        Path gguf = SharedData.shared().resolve("gguf/llama-s1/model-Q4_K_M.gguf");
        Run info = run("info", "--model", gguf.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("weight types:") && info.out().contains("Q4_K ×") && info.out().contains("Q6_K ×"),
                info.out());
        Run gen = run("generate", "--model", gguf.toString(), "--prompt", "The", "--max-tokens", "8", "--json");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().contains("\"generated_tokens\":8") && gen.out().contains("\"stop_reason\":\"max_tokens\""), gen.out());
        assertFalse(gen.err().contains("Exception"), gen.err());
    }
}
