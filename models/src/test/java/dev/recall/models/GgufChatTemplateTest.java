package dev.recall.models;

import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.gguf.GgmlType;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufWriter;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A GGUF file's chat template, special tokens and end-of-turn ids reach the loaded model. */
class GgufChatTemplateTest {

    @TempDir
    Path tmp;

    @Test
    void templateAndEndOfTurnComeFromTheFile() throws Exception {
        Path source = SharedData.shared().resolve("gguf/llama-s1/model-Q8_0.gguf");
        Path file = tmp.resolve("chat.gguf");
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(source)) {
            f.typedMetadata().forEach(w::put);
            w.put("tokenizer.chat_template", GgufWriter.Value.string(
                    "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
                            + "{% if add_generation_prompt %}[assistant] {% endif %}"));
            w.put("tokenizer.ggml.eot_token_id", GgufWriter.Value.u32(3));
            for (Tensor t : f.tensors().values()) {
                byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
                w.tensor(t.name(), GgmlType.valueOf(t.typeName()), t.shape(), out -> out.write(bytes));
            }
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            w.write(out);
        }
        try (LoadedModel model = Recall.load(file)) {
            String bos = model.tokenizer().idToToken(1);
            String prompt = model.chatTemplate().orElseThrow()
                    .render(List.of(new ChatMessage("user", "hi")), true);
            assertEquals(bos + "[user] hi\n[assistant] ", prompt);
            assertTrue(model.eosTokenIds().containsAll(List.of(2, 3)), "EOS and EOT end a reply: " + model.eosTokenIds());
        }
    }
}
