package dev.recall.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The RG-LRU prefill form: channel blocks scanned over the whole sequence on several threads. The
 * recurrence is element-wise, every channel takes the same code path whatever the split, and its
 * exponentials come from {@link VectorMath} (the same bits in every lane and tier, see
 * RecurrenceTierTest), so 1 and 3 threads agree bit for bit; both match the scalar reference.
 */
class RgLruParallelTest {

    @Test
    void longPrefillOnManyThreadsEqualsOneThreadAndTheScalarScan() {
        int width = 2560 + 3; // the recurrentgemma-2b width plus a ragged tail
        int t = 300;
        Random rnd = new Random(21);
        float[] x = uniform(rnd, t * width, 2f);
        float[] inputGate = uniform(rnd, t * width, 4f);
        float[] recurrenceGate = uniform(rnd, t * width, 4f);
        float[] softplusParam = uniform(rnd, width, 1f);
        for (int c = 0; c < width; c++) {
            softplusParam[c] = (float) Math.log1p(Math.exp(3 * softplusParam[c]));
        }
        float[] h0 = uniform(rnd, width, 1f);

        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] hOne = h0.clone();
            float[] outOne = new float[t * width];
            RgLruVector.create().scan(x, inputGate, recurrenceGate, softplusParam, hOne, width, t, false, outOne);
            Parallel.setThreads(3);
            float[] hMany = h0.clone();
            float[] outMany = new float[t * width];
            RgLruVector.create().scan(x, inputGate, recurrenceGate, softplusParam, hMany, width, t, false, outMany);
            assertArrayEquals(outOne, outMany, "outputs on 1 and 3 threads");
            assertArrayEquals(hOne, hMany, "final state on 1 and 3 threads");

            float[] hScalar = h0.clone();
            float[] outScalar = new float[t * width];
            new RgLru().scan(x, inputGate, recurrenceGate, softplusParam, hScalar, width, t, false, outScalar);
            for (int i = 0; i < outScalar.length; i++) {
                assertEquals(outScalar[i], outMany[i], 1e-5f * Math.max(1f, Math.abs(outScalar[i])), "out[" + i + "]");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static float[] uniform(Random rnd, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (rnd.nextFloat() * 2 - 1) * scale;
        }
        return x;
    }
}
