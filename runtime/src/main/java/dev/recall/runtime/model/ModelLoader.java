package dev.recall.runtime.model;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Loads a model directory with whichever registered {@link ModelFamily} claims its architecture. */
public final class ModelLoader {

    private ModelLoader() {
    }

    public static List<ModelFamily> families() {
        return ServiceLoader.load(ModelFamily.class).stream().map(ServiceLoader.Provider::get).toList();
    }

    public static TreeSet<String> supportedArchitectures() {
        TreeSet<String> all = new TreeSet<>();
        for (ModelFamily f : families()) {
            all.addAll(f.architectures());
        }
        return all;
    }

    public static ModelFamily familyFor(ModelConfig config) {
        String arch = config.architecture();
        for (ModelFamily f : families()) {
            if (f.architectures().contains(arch)) {
                return f;
            }
        }
        throw new RecallException("unsupported architecture '" + arch + "' in " + config.source()
                + " (supported: " + String.join(", ", supportedArchitectures()) + ")");
    }

    /** Refuses the first floating-point tensor whose weight type the kernels cannot compute with. */
    static void requireKernelsFor(Weights weights, Kernels kernels) {
        for (Tensor t : weights.all()) {
            WeightType type = t.dtype().weightType();
            if (type != null && !kernels.supports(type)) {
                throw new RecallException("tensor " + t.name() + " is stored as " + type.name() + ", which the "
                        + kernels.name() + " kernels cannot compute with");
            }
        }
    }

    /** The error for a model path that is not a directory: a file given by mistake, or nothing there. */
    static RecallException notADirectory(Path path) {
        return new RecallException(Files.exists(path)
                ? path + " is a file; a model is a directory (config.json, *.safetensors, tokenizer.json)"
                : "model directory not found: " + path);
    }

    /** Loads a model directory computing with the process's kernels ({@link KernelProvider#get()}). */
    public static LanguageModel load(Path dir) {
        return load(dir, KernelProvider.get());
    }

    /**
     * Loads a model directory computing with the given kernels. A weight tensor of a type the
     * kernels cannot multiply is refused here, by name, before the family builds anything.
     */
    public static LanguageModel load(Path dir, Kernels kernels) {
        if (!Files.isDirectory(dir)) {
            throw notADirectory(dir);
        }
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        ModelFamily family = familyFor(config);
        Weights weights = Weights.open(dir);
        try {
            requireKernelsFor(weights, kernels);
            return family.load(new Checkpoint(dir, config, weights, Checkpoint.readGenerationConfig(dir), kernels));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }
}
