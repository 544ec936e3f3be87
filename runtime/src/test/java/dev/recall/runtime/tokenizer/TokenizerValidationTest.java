package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile tokenizer.json files end in one short sentence: ids outside any vocabulary Recall would
 * allocate for, null members of component sequences, unreadable regexes (shown cut short).
 */
class TokenizerValidationTest {

    @TempDir
    Path tmp;

    private static final String MODEL = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2%s}, \"merges\": [\"a b\"]}";

    /** Pre-tokenizer Sequences inside each other, {@code depth} deep. */
    private static String nested(int depth) {
        String inner = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}";
        for (int i = 0; i < depth; i++) {
            inner = "{\"type\": \"Sequence\", \"pretokenizers\": [" + inner + "]}";
        }
        return inner;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "huge vocabulary id | {" + "%MODEL_HUGE%" + "} | no valid id",
            "negative added token | {%MODEL%, \"added_tokens\": [{\"id\": -5, \"content\": \"<x>\"}]} | outside 0 to",
            "huge added token | {%MODEL%, \"added_tokens\": [{\"id\": 2147483647, \"content\": \"<x>\"}]} | outside 0 to",
            "null normalizer member | {%MODEL%, \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [null]}} | Sequence holds a member",
            "null decoder member | {%MODEL%, \"decoder\": {\"type\": \"Sequence\", \"decoders\": [null]}} | Sequence holds a member",
            "null pre-tokenizer member | {%MODEL%, \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [null, 3]}} | Sequence holds a member",
            "huge regex | {%MODEL%, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"%BIGREGEX%\"}, \"behavior\": \"Isolated\"}} | does not compile",
            "nested pre-tokenizers | {%MODEL%, \"pre_tokenizer\": %NESTED20%} | pre-tokenizer Sequences nest deeper than 8 levels",
            "JSON nested too deeply | {%MODEL%, \"pre_tokenizer\": %NESTED600%} | it nests deeper than 1000 levels"})
    void isRefusedInOneShortSentence(String name, String json, String expected) throws Exception {
        String model = String.format(MODEL, "");
        String text = json.replace("%MODEL_HUGE%", String.format(MODEL, ", \"x\": 2147483647"))
                .replace("%MODEL%", model)
                .replace("%BIGREGEX%", "(".repeat(20_000) + "a" + ")".repeat(20_000))
                .replace("%NESTED20%", nested(20))
                .replace("%NESTED600%", nested(600));
        Path dir = Files.createDirectories(tmp.resolve(name.replace(' ', '-')));
        Files.writeString(dir.resolve("tokenizer.json"), text);
        RecallException e = assertThrows(RecallException.class, () -> Tokenizers.load(dir), name);
        assertTrue(e.getMessage().contains(expected), name + ": " + e.getMessage());
        assertTrue(e.getMessage().length() < 400 && !e.getMessage().contains("\n"), name + ": not one short sentence: "
                + e.getMessage().length() + " characters");
    }
}
