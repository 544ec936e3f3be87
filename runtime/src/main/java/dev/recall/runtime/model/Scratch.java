package dev.recall.runtime.model;

import java.util.HashMap;
import java.util.Map;

/**
 * The working buffers of one forward call, reused across its layers and prompt pieces.
 *
 * <p>A batch of t tokens needs a handful of [t, width] activation arrays in every layer. Allocated
 * per layer, a 512-token piece of mamba-130m made about 600 MB of garbage, and the collector grew
 * the heap to some 300 MB to absorb it: more than the model's whole memory budget beside its
 * mapped weights. The layers of one model share their widths, so one set of named buffers serves
 * them all, and a long prompt costs one piece's activations however many layers and pieces it has.
 *
 * <p>A name stands for one role at one call site ("mixer.x", "mlp.gate"); two buffers that are live
 * at the same time must have different names. A request for a name with a different length than
 * before (the shorter last piece of a prompt) replaces that buffer. Not thread-safe: every call
 * makes its own (OPRM's chunk prefills run in parallel, each with its own).
 */
public final class Scratch {

    private final Map<String, float[]> buffers = new HashMap<>();

    /** The buffer called {@code name}, exactly {@code length} floats, holding whatever its last user left. */
    public float[] floats(String name, int length) {
        float[] b = buffers.get(name);
        if (b == null || b.length != length) {
            b = new float[length];
            buffers.put(name, b);
        }
        return b;
    }

    /** Floats held by all buffers (for tests and diagnostics). */
    public long heldFloats() {
        long n = 0;
        for (float[] b : buffers.values()) {
            n += b.length;
        }
        return n;
    }
}
