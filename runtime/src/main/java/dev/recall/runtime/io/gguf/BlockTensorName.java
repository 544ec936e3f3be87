package dev.recall.runtime.io.gguf;

/**
 * A GGUF block tensor name, {@code blk.<layer>.<rest>} (llama.cpp's naming for every
 * architecture), split into its layer and the rest.
 */
public record BlockTensorName(int layer, String rest) {

    /** The parts of {@code name}, or null when it is not a block tensor's name. */
    public static BlockTensorName parse(String name) {
        if (!name.startsWith("blk.")) {
            return null;
        }
        int dot = name.indexOf('.', 4);
        String layer = dot < 0 ? "" : name.substring(4, dot);
        if (layer.isEmpty() || layer.length() > 6 || !layer.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return new BlockTensorName(Integer.parseInt(layer), name.substring(dot + 1));
    }
}
