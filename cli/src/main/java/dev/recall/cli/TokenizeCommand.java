package dev.recall.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code recall tokenize}: the ids of text under a model's tokenizer, one JSON array per input,
 * with llama.cpp's tokenizer-test conventions: nothing added and special-token text read as
 * ordinary text unless {@code --add-special} / {@code --parse-special} say otherwise.
 */
@Command(name = "tokenize", usageHelpAutoWidth = true,
        description = {"Print the token ids of text as one JSON array per input.",
                "Loads only the tokenizer: a vocabulary-only GGUF file works too."})
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", required = true, description = "The text to tokenize.")
        String text;

        @Option(names = "--jsonl", paramLabel = "FILE", required = true,
                description = "A file of JSON strings, one per line; prints one array per line, in order.")
        Path jsonl;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--add-special", description = "Add the model's BOS/EOS tokens as it does for a prompt.")
    boolean addSpecial;

    @Option(names = "--parse-special", description = "Read special-token text (\"<|eot_id|>\") as those tokens.")
    boolean parseSpecial;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        Tokenizer tokenizer = Tokenizers.forModel(model.dir());
        PrintWriter out = spec.commandLine().getOut();
        if (input.text != null) {
            print(out, tokenizer.encode(input.text, addSpecial, parseSpecial));
        } else {
            try (BufferedReader reader = Files.newBufferedReader(input.jsonl, StandardCharsets.UTF_8)) {
                String line;
                int number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    print(out, tokenizer.encode(string(line, number), addSpecial, parseSpecial));
                }
            } catch (NoSuchFileException e) {
                throw new RecallException("input file not found: " + input.jsonl);
            }
        }
        out.flush();
        return 0;
    }

    private String string(String line, int number) {
        try {
            JsonNode node = JSON.readTree(line);
            if (node != null && node.isTextual()) {
                return node.asText();
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        throw new RecallException(input.jsonl + " line " + number + " is not a JSON string");
    }

    private static void print(PrintWriter out, int[] ids) {
        StringBuilder b = new StringBuilder(ids.length * 6 + 2).append('[');
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(ids[i]);
        }
        out.println(b.append(']'));
    }
}
