package dev.recall.runtime.io;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded mutation fuzzing of safetensors images: every mutated file either parses (and its
 * tensors read back without faults) or fails with the project's own exception, never an unchecked
 * crash, out-of-memory or hang.
 */
class SafeTensorsFuzzTest {

    static final int CASES = 20_000;

    @Test
    void mutatedHeadersEndInRecallExceptionOrAValidFile() {
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            String[] seeds = {
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}",
                    "{\"__metadata__\":{\"format\":\"pt\"},\"x\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                    "{\"h\":{\"dtype\":\"F16\",\"shape\":[4,1],\"data_offsets\":[0,8]}}",
            };
            String[] tokens = {"{", "}", "[", "]", ",", ":", "\"", "-1", "0", "99999999999999999999", "1e3", "null",
                    "\"F64\"", "4294967296", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "[]", "[0,0]", "\\u0000", "true"};
            SplittableRandom rnd = new SplittableRandom(20261123);
            for (int i = 0; i < CASES; i++) {
                String header = seeds[rnd.nextInt(seeds.length)];
                int edits = 1 + rnd.nextInt(4);
                StringBuilder h = new StringBuilder(header);
                for (int e = 0; e < edits && h.length() > 0; e++) {
                    int at = rnd.nextInt(h.length());
                    switch (rnd.nextInt(4)) {
                        case 0 -> h.deleteCharAt(at);
                        case 1 -> h.insert(at, tokens[rnd.nextInt(tokens.length)]);
                        case 2 -> h.setCharAt(at, (char) (32 + rnd.nextInt(95)));
                        default -> h.replace(at, Math.min(h.length(), at + rnd.nextInt(6)), tokens[rnd.nextInt(tokens.length)]);
                    }
                }
                byte[] img = SafeTensorsFileTest.image(h.toString(), rnd.nextInt(32));
                // Byte-level damage, including the 8-byte length field.
                if (rnd.nextInt(4) == 0) {
                    img[rnd.nextInt(img.length)] = (byte) rnd.nextInt(256);
                }
                if (rnd.nextInt(8) == 0) {
                    img = java.util.Arrays.copyOf(img, rnd.nextInt(img.length + 1));
                }
                tryParse(img, h);
            }
        });
    }

    private static void tryParse(byte[] img, CharSequence header) {
        try {
            SafeTensorsFile f = SafeTensorsFile.fromBytes("fuzz.safetensors", img);
            for (Tensor t : f.tensors().values()) {
                if (t.isIntegers()) {
                    t.toInts();
                } else {
                    t.toFloats();
                }
            }
        } catch (RecallException expected) {
            // the only acceptable failure
        } catch (Throwable t) {
            fail("mutated header " + new String(header.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)
                    + " escaped as " + t, t);
        }
    }
}
