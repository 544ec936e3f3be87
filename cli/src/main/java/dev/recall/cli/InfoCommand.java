package dev.recall.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.recall.runtime.io.gguf.GgufFile;
import java.util.concurrent.Callable;

/** {@code recall info}: what a model directory or GGUF file holds and what its state costs. */
@Command(name = "info", usageHelpAutoWidth = true,
        description = "Show a model's family, architecture, sizes, dtype, parameters and state size.")
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--json", description = "Print one JSON object (the same facts, numbers unformatted) instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LoadedModel loaded = model.load()) {
            LanguageModel lm = loaded.model();
            ModelInfo info = lm.info();
            long stateBytes;
            try (ModelState state = lm.newState()) {
                lm.step(state, Math.max(0, info.bosTokenId()));
                stateBytes = state.sizeBytes();
            }
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("model", model.dir().toAbsolutePath().normalize().toString());
                o.put("family", info.family());
                o.put("architecture", info.architecture());
                o.put("vocabulary", info.vocabSize());
                o.put("hidden_size", info.hiddenSize());
                o.put("layers", info.layers());
                o.put("attention_layers", info.attentionLayers());
                o.put("windowed_attention_layers", info.windowedAttentionLayers());
                o.put("training_length", info.trainingLength()); // 0: unknown
                o.put("weight_dtype", info.weightDtype());
                o.put("parameters", info.parameterCount());
                o.put("weight_bytes", info.weightBytes());
                o.put("bos_token", info.bosTokenId()); // -1: none
                ArrayNode eos = o.putArray("eos_tokens");
                info.eosTokenIds().forEach(eos::add);
                o.put("state_bytes_after_1_token", stateBytes);
                Map<String, long[]> mix = typeMix();
                if (mix != null) {
                    ObjectNode types = o.putObject("weight_types");
                    mix.forEach((type, n) -> types.putObject(type).put("tensors", n[0]).put("bytes", n[1]));
                }
                out.println(o);
                out.flush();
                return 0;
            }
            row(out, "model", model.dir().toAbsolutePath().normalize());
            row(out, "family", info.family());
            row(out, "architecture", info.architecture());
            row(out, "vocabulary", Formats.count(info.vocabSize()));
            row(out, "hidden size", Formats.count(info.hiddenSize()));
            row(out, "layers", info.layers());
            row(out, "attention layers", info.windowedAttentionLayers() == 0 ? info.attentionLayers()
                    : info.attentionLayers() + " (" + info.windowedAttentionLayers() + " with a window of their own)");
            row(out, "training length", info.trainingLength() > 0 ? Formats.count(info.trainingLength()) : "unknown");
            row(out, "weight dtype", info.weightDtype());
            Map<String, long[]> mix = typeMix();
            if (mix != null) {
                StringBuilder b = new StringBuilder();
                mix.forEach((type, n) -> b.append(b.isEmpty() ? "" : ", ").append(type).append(" ×").append(n[0])
                        .append(" (").append(Formats.shortBytes(n[1])).append(')'));
                row(out, "weight types", b);
            }
            row(out, "parameters", Formats.count(info.parameterCount()));
            row(out, "weight bytes", Formats.bytes(info.weightBytes()));
            row(out, "bos token", info.bosTokenId() < 0 ? "none" : info.bosTokenId());
            row(out, "eos tokens", info.eosTokenIds());
            row(out, "state after 1 token", Formats.bytes(stateBytes));
        }
        out.flush();
        return 0;
    }

    /** For a GGUF file: tensors and bytes per stored type, most bytes first; null for a directory. */
    private Map<String, long[]> typeMix() {
        if (!Files.isRegularFile(model.dir())) {
            return null;
        }
        Map<String, long[]> mix = new HashMap<>();
        try (GgufFile file = GgufFile.open(model.dir())) {
            for (GgufFile.TensorInfo t : file.tensorInfos().values()) {
                long[] n = mix.computeIfAbsent(t.type().name(), k -> new long[2]);
                n[0]++;
                n[1] += t.bytes();
            }
        }
        Map<String, long[]> sorted = new LinkedHashMap<>();
        mix.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("%-20s %s%n", key + ":", value);
    }
}
