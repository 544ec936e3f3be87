package dev.recall.runtime.model;

/** For recurrent states kept as one fp32 array per layer: copies and sizes them. */
public final class StateArrays {

    private StateArrays() {
    }

    /** A copy of every layer's array (for {@link ModelState#copy()}). */
    public static float[][] copy(float[][] perLayer) {
        float[][] out = new float[perLayer.length][];
        for (int i = 0; i < perLayer.length; i++) {
            out[i] = perLayer[i].clone();
        }
        return out;
    }

    /** Bytes held by all the arrays of all the given per-layer groups (for {@link ModelState#sizeBytes()}). */
    public static long bytes(float[][]... groups) {
        long floats = 0;
        for (float[][] perLayer : groups) {
            for (float[] layer : perLayer) {
                floats += layer.length;
            }
        }
        return floats * Float.BYTES;
    }
}
