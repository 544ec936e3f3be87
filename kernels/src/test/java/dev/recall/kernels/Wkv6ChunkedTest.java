package dev.recall.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunked WKV form against the scalar sequential scan: same outputs and final state within fp32 tolerance. */
class Wkv6ChunkedTest {

    private static final int HEADS = 2;

    /** Compares against the scalar sequential scan with a tolerance relative to the largest value. */
    private static void assertMatchesSequential(WkvInputs in, Wkv6 chunked) {
        float[] seqState = in.state().clone();
        float[] chunkState = in.state().clone();
        float[] ySeq = in.run(new Wkv6Scalar(), seqState);
        float[] yChunk = in.run(chunked, chunkState);
        assertClose("y", ySeq, yChunk);
        assertClose("state", seqState, chunkState);
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        float scale = 1f;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), what + "[" + i + "] is " + actual[i]);
            assertEquals(expected[i], actual[i], 2e-5f * scale, what + "[" + i + "]");
        }
    }

    /** Decays as the model makes them: exp(−exp(N(0, 1))). */

    @ParameterizedTest
    @CsvSource({
            "1, 40, 16", "3, 33, 16", "7, 17, 16", "16, 100, 16", "20, 64, 16", "33, 50, 5",
            "64, 70, 16", "64, 129, 32", "17, 31, 1", "16, 16, 16", "16, 15, 16"})
    void matchesSequentialScan(int size, int tokens, int chunk) {
        WkvInputs in = WkvInputs.random(size, HEADS, tokens, 10L * size + tokens, WkvInputs.modelDecays(size + 7L * tokens));
        assertMatchesSequential(in, new Wkv6Chunked(new Wkv6Scalar(), chunk, 1));
    }

    @Test
    void decaysNearOneKeepTheStateLong() {
        // Nearly no decay: the carried state and all earlier tokens of a chunk weigh in fully.
        Random rnd = new Random(5);
        WkvInputs in = WkvInputs.random(24, HEADS, 90, 6, () -> 1 - 1e-4 * rnd.nextDouble());
        assertMatchesSequential(in, new Wkv6Chunked(new Wkv6Scalar(), 16, 1));
    }

    @Test
    void extremeDecaysEndChunksEarlyInsteadOfOverflowing() {
        // Decays down to 1e-30 and exact zeros: dividing by the accumulated decay would overflow in a
        // fixed-length chunk; the chunk boundary moves instead.
        Random rnd = new Random(9);
        WkvInputs in = WkvInputs.random(16, HEADS, 80, 10, () -> switch (rnd.nextInt(4)) {
            case 0 -> 0.0;
            case 1 -> Math.pow(10, -30 * rnd.nextDouble());
            default -> Math.exp(-Math.exp(rnd.nextGaussian()));
        });
        assertMatchesSequential(in, new Wkv6Chunked(new Wkv6Scalar(), 16, 1));
    }

    @Test
    void shortBatchesGoToTheSequentialScanExactly() {
        WkvInputs in = WkvInputs.random(16, HEADS, 7, 11, WkvInputs.modelDecays(12));
        float[] seqState = in.state().clone();
        float[] chunkState = in.state().clone();
        float[] ySeq = in.run(new Wkv6Vector(), seqState);
        float[] yChunk = in.run(new Wkv6Chunked(new Wkv6Vector(), 16, 8), chunkState);
        for (int i = 0; i < ySeq.length; i++) {
            assertEquals(ySeq[i], yChunk[i], "y[" + i + "]");
        }
        for (int i = 0; i < seqState.length; i++) {
            assertEquals(seqState[i], chunkState[i], "state[" + i + "]");
        }
    }

    @Test
    void runtimeDefaultMatchesSequentialOnLongPrefill() {
        WkvInputs in = WkvInputs.random(64, HEADS, 300, 13, WkvInputs.modelDecays(14));
        assertMatchesSequential(in, new VectorKernels().wkv6());
    }
}
