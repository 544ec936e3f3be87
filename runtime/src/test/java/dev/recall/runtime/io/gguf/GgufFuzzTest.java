package dev.recall.runtime.io.gguf;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded mutation fuzzing of GGUF images: every mutated file either parses (and each of its
 * tensors decodes without a fault) or fails with the project's own exception; never another
 * exception, an out-of-memory error or a hang. Mutations aim at the header, where every count,
 * length, type and offset lives: flipped bytes, counts and lengths set to extreme values,
 * truncation, and bytes inserted or deleted.
 */
class GgufFuzzTest {

    static final int CASES = 20_000;
    private static final long[] EXTREMES = {0, 1, 2, 31, 32, 255, 256, 65535, 1L << 31, (1L << 32) - 1, 1L << 32,
            1L << 62, Long.MAX_VALUE, -1, Long.MIN_VALUE};

    @Test
    void mutatedFilesEndInRecallExceptionOrAValidFile() {
        byte[] seed = GgufFileTest.sample();
        int header = headerLength(seed);
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom rnd = new SplittableRandom(20261207);
            for (int i = 0; i < CASES; i++) {
                byte[] img = seed.clone();
                int edits = 1 + rnd.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    int at = rnd.nextInt(Math.max(1, Math.min(img.length, header)));
                    switch (rnd.nextInt(6)) {
                        case 0 -> img[at] = (byte) rnd.nextInt(256);
                        case 1 -> img[at] ^= (byte) (1 << rnd.nextInt(8));
                        case 2 -> {
                            if (at + 8 <= img.length) {
                                ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putLong(at, EXTREMES[rnd.nextInt(EXTREMES.length)]);
                            }
                        }
                        case 3 -> {
                            if (at + 4 <= img.length) {
                                ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) EXTREMES[rnd.nextInt(EXTREMES.length)]);
                            }
                        }
                        case 4 -> img = Arrays.copyOf(img, rnd.nextInt(img.length + 1));
                        default -> {
                            byte[] shifted = new byte[img.length + (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(4))];
                            int keep = Math.min(at, shifted.length);
                            System.arraycopy(img, 0, shifted, 0, keep);
                            int tail = Math.min(img.length - at, shifted.length - keep);
                            if (tail > 0) {
                                System.arraycopy(img, img.length - tail, shifted, shifted.length - tail, tail);
                            }
                            img = shifted;
                        }
                    }
                }
                outcomes[tryParse(img, i)]++;
            }
        });
        // Both outcomes must occur, or the mutations test nothing.
        assertTrue(outcomes[0] > CASES / 20 && outcomes[1] > CASES / 20,
                "parsed " + outcomes[0] + ", refused " + outcomes[1]);
    }

    /** 0 when the file parsed, 1 when it was refused. */
    private static int tryParse(byte[] img, int i) {
        try {
            GgufFile f = GgufFile.fromBytes("fuzz.gguf", img);
            for (Tensor t : f.tensors().values()) {
                if (t.type() != null && t.numel() > 0) {
                    t.matrix().row(0, new float[t.matrix().cols()], 0);
                }
            }
            f.metadata().forEach((k, v) -> String.valueOf(v));
            return 0;
        } catch (RecallException expected) {
            assertTrue(!expected.getMessage().contains("\n") && expected.getMessage().length() < 400,
                    "case " + i + ": not one short sentence: " + expected.getMessage());
            return 1;
        } catch (Throwable t) {
            fail("case " + i + " escaped as " + t, t);
            return -1;
        }
    }

    /** Bytes before the tensor data: where every structural field lives. */
    private static int headerLength(byte[] seed) {
        GgufFile f = GgufFile.fromBytes("seed.gguf", seed);
        long first = f.tensorInfos().values().stream().mapToLong(GgufFile.TensorInfo::offset).min().orElse(0);
        return (int) (seed.length - f.tensorInfos().values().stream().mapToLong(t -> t.bytes()).sum() - first) ;
    }
}
