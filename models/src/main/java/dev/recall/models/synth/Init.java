package dev.recall.models.synth;

import java.util.SplittableRandom;
import java.util.function.LongToDoubleFunction;

/**
 * How a synthetic tensor is filled. Random fills are seeded per tensor and produced in order, so a
 * model is the same for the same seed however the writer buffers it.
 */
@FunctionalInterface
interface Init {

    /** The values of one tensor, from this tensor's own seed. */
    StreamingSafeTensorsWriter.Values values(long seed);

    /**
     * Uniform noise with mean 0 and standard deviation std (uniform rather than normal: as good for
     * keeping activations finite, and several times faster to draw for billions of weights).
     */
    static Init noise(double std) {
        return uniform(-std * Math.sqrt(3), std * Math.sqrt(3));
    }

    /** Uniform in [lo, hi). */
    static Init uniform(double lo, double hi) {
        return seed -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            return (first, out, n) -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
                }
            };
        };
    }

    static Init constant(double value) {
        return seed -> (first, out, n) -> java.util.Arrays.fill(out, 0, n, (float) value);
    }

    /** A value that depends only on the flat index (e.g. Mamba's A_log = log(1 + state index)). */
    static Init byIndex(LongToDoubleFunction value) {
        return seed -> (first, out, n) -> {
            for (int i = 0; i < n; i++) {
                out[i] = (float) value.applyAsDouble(first + i);
            }
        };
    }

    /** A random value per element drawn by a function of the generator (e.g. log-uniform step sizes). */
    static Init random(java.util.function.ToDoubleFunction<SplittableRandom> draw) {
        return seed -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            return (first, out, n) -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) draw.applyAsDouble(rnd);
                }
            };
        };
    }
}
