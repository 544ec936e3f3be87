package dev.recall.runtime.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * All weights of a model directory: a single {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Lookups by name fail with a clear message naming the
 * missing tensor.
 */
public final class Weights implements AutoCloseable {

    private final List<? extends AutoCloseable> files;
    private final Map<String, Tensor> tensors;
    private final Set<String> used = new TreeSet<>();
    private boolean closed;

    /**
     * Tensors under the names a family asks for (a GGUF file's, renamed to Hugging Face's), which
     * live as long as {@code owner} is open.
     */
    public Weights(Map<String, Tensor> tensors, AutoCloseable owner) {
        this.files = List.of(owner);
        this.tensors = new LinkedHashMap<>(tensors);
    }

    public Weights(List<SafeTensorsFile> files) {
        this.files = files;
        this.tensors = new LinkedHashMap<>();
        for (SafeTensorsFile f : files) {
            for (var e : f.tensors().entrySet()) {
                if (tensors.put(e.getKey(), e.getValue()) != null) {
                    throw new RecallException("tensor " + e.getKey() + " appears in more than one weights file");
                }
            }
        }
    }

    public static Weights open(Path dir) {
        Path index = ModelFiles.file(dir, "model.safetensors.index.json");
        Path single = ModelFiles.file(dir, "model.safetensors");
        List<SafeTensorsFile> files = new ArrayList<>();
        try {
            if (Files.isRegularFile(index)) {
                JsonNode map;
                try {
                    map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
                } catch (IOException e) {
                    throw new RecallException("cannot parse " + index + ": " + IoErrors.describe(e));
                }
                if (map == null || !map.isObject()) {
                    throw new RecallException(index + " has no weight_map object");
                }
                Map<String, List<String>> expected = new LinkedHashMap<>();
                map.fields().forEachRemaining(e -> expected.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey()));
                for (var shard : expected.entrySet()) {
                    Path p = ModelFiles.file(dir, shard.getKey());
                    if (!Files.isRegularFile(p)) {
                        throw new RecallException("shard " + shard.getKey() + " listed in " + index.getFileName() + " is missing");
                    }
                    SafeTensorsFile f = SafeTensorsFile.open(p);
                    files.add(f);
                    for (String name : shard.getValue()) {
                        if (!f.tensors().containsKey(name)) {
                            throw new RecallException("shard " + shard.getKey() + " does not contain tensor " + name
                                    + " that the index assigns to it");
                        }
                    }
                }
            } else if (Files.isRegularFile(single)) {
                files.add(SafeTensorsFile.open(single));
            } else {
                throw new RecallException("no model.safetensors or model.safetensors.index.json in " + dir);
            }
            return new Weights(files);
        } catch (RuntimeException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor, or a clear error naming it. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new RecallException("missing tensor " + name + " in the model weights");
        }
        used.add(name);
        return t;
    }

    /** The first of several alternative names that exists (old/new checkpoint layouts). */
    public Tensor getAny(String... names) {
        for (String n : names) {
            if (tensors.containsKey(n)) {
                return get(n);
            }
        }
        throw new RecallException("missing tensor " + String.join(" / ", names) + " in the model weights");
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    /** Every tensor, in file order, without marking any as used. */
    public java.util.Collection<Tensor> all() {
        return java.util.Collections.unmodifiableCollection(tensors.values());
    }

    /** Names that were present but never requested by the loader (reported, not fatal). */
    public Set<String> unused() {
        Set<String> s = new TreeSet<>(tensors.keySet());
        s.removeAll(used);
        return s;
    }

    public long totalBytes() {
        return tensors.values().stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    public long parameterCount() {
        return tensors.values().stream().mapToLong(Tensor::numel).sum();
    }

    /** Closes the files once; closing again does nothing, as AutoCloseable recommends. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable f : files) {
            try {
                f.close();
            } catch (Exception e) {
                throw new RecallException("cannot close the weights: " + e.getMessage(), e);
            }
        }
    }
}
