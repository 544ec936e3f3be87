package dev.recall.runtime.model;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.io.gguf.GgufFile;

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

    /** Refuses the first weight tensor whose type the kernels cannot compute with. */
    static void requireKernelsFor(Weights weights, Kernels kernels) {
        for (Tensor t : weights.all()) {
            if (t.isIntegers()) {
                continue;
            }
            if (t.type() == null) {
                throw new RecallException("tensor " + t.name() + " is stored as " + t.typeName()
                        + ", a type Recall cannot compute with (supported: " + supportedTypes() + ")");
            }
            WeightType type = t.type();
            if (!kernels.supports(type)) {
                throw new RecallException("tensor " + t.name() + " is stored as " + type.name() + ", which the "
                        + kernels.name() + " kernels cannot compute with");
            }
        }
    }

    /**
     * A model directory's config and (mapped) weights, before any family builds a model from them;
     * the caller closes its weights.
     */
    public static Checkpoint checkpoint(Path dir, Kernels kernels) {
        if (!Files.isDirectory(dir)) {
            throw notADirectory(dir);
        }
        ModelConfig config = ModelConfig.read(dev.recall.runtime.io.ModelFiles.file(dir, "config.json"));
        familyFor(config);
        Weights weights = Weights.open(dir);
        return new Checkpoint(dir, config, weights, Checkpoint.readGenerationConfig(dir), kernels,
                Checkpoint.Format.SAFETENSORS);
    }

    /**
     * Loads a GGUF file with the family that reads its {@code general.architecture}; the tensors
     * are checked against the kernels before the family builds anything.
     */
    static LanguageModel loadGguf(Path file, Kernels kernels) {
        GgufFile gguf = GgufFile.open(file);
        try {
            return loadGguf(gguf, kernels);
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /**
     * The model of an open GGUF file, which it then owns (closing the model closes the file); the
     * caller closes the file if this throws.
     */
    public static LanguageModel loadGguf(GgufFile gguf, Kernels kernels) {
        Path file = gguf.path();
        {
            if (gguf.tensors().isEmpty()) {
                throw new RecallException(file.getFileName() + " holds no tensors: a vocabulary-only GGUF file"
                        + " can be used to tokenize (recall tokenize), not to run a model");
            }
            Object arch = gguf.metadata().get("general.architecture");
            if (!(arch instanceof String name)) {
                throw new RecallException(file.getFileName() + " has no general.architecture: not a model file"
                        + " (a vocabulary-only GGUF can only be used to tokenize)");
            }
            ModelFamily family = null;
            TreeSet<String> known = new TreeSet<>();
            for (ModelFamily f : families()) {
                known.addAll(f.ggufArchitectures());
                if (f.ggufArchitectures().contains(name)) {
                    family = f;
                }
            }
            if (family == null) {
                throw new RecallException("unsupported GGUF architecture '" + name + "' in " + file.getFileName()
                        + " (supported: " + String.join(", ", known) + ")");
            }
            Checkpoint checkpoint = family.checkpoint(gguf, kernels);
            requireKernelsFor(checkpoint.weights(), kernels);
            return family.load(checkpoint);
        }
    }

    /** The weight types Recall decodes, as files name them. */
    public static String supportedTypes() {
        return "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K";
    }

    /** The error for a model path that is not a directory: a file given by mistake, or nothing there. */
    static RecallException notADirectory(Path path) {
        return new RecallException(Files.exists(path)
                ? path + " is neither a model directory (config.json, *.safetensors, tokenizer.json) nor a GGUF file"
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
        if (Files.isRegularFile(dir) && GgufFile.looksLikeGguf(dir)) {
            return loadGguf(dir, kernels);
        }
        if (!Files.isDirectory(dir)) {
            throw notADirectory(dir);
        }
        Checkpoint checkpoint = checkpoint(dir, kernels);
        try {
            requireKernelsFor(checkpoint.weights(), kernels);
            return familyFor(checkpoint.config()).load(checkpoint);
        } catch (RuntimeException e) {
            checkpoint.weights().close();
            throw e;
        }
    }
}
