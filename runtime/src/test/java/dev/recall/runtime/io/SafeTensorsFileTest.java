package dev.recall.runtime.io;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsFileTest {

    static byte[] image(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    static String messageOf(byte[] bytes) {
        return assertThrows(RecallException.class, () -> SafeTensorsFile.fromBytes("t.safetensors", bytes)).getMessage();
    }

    @Test
    void roundTripsF32I32Bf16ThroughTheWriter(@TempDir Path dir) {
        Path f = dir.resolve("x.safetensors");
        new SafeTensorsWriter()
                .f32("a", new float[]{1.5f, -2f, 3.25f, 0f, 7f, 8f}, 2, 3)
                .i32("ids", new int[]{5, 6, 7}, 3)
                .bf16("b", new float[]{1f, 0.1f}, 2)
                .write(f);
        try (SafeTensorsFile s = SafeTensorsFile.open(f)) {
            assertArrayEquals(new float[]{1.5f, -2f, 3.25f, 0f, 7f, 8f}, s.tensors().get("a").toFloats());
            assertEquals(3.25f, s.tensors().get("a").matrix().get(0, 2));
            assertArrayEquals(new int[]{5, 6, 7}, s.tensors().get("ids").toInts());
            float[] b = s.tensors().get("b").toFloats();
            assertEquals(1f, b[0]);
            assertEquals(0.10009765625f, b[1]); // 0.1 rounded to bf16
        }
    }

    @Test
    void refusesFilesShorterThanTheLengthField() {
        assertTrue(messageOf(new byte[5]).contains("shorter than the 8-byte header length"));
    }

    @Test
    void refusesHeaderLengthBeyondTheFile() {
        byte[] b = image("{}", 0);
        b[0] = (byte) 0xff;
        assertTrue(messageOf(b).contains("header length"));
        byte[] huge = image("{}", 0);
        huge[7] = (byte) 0x80; // negative as a signed long
        assertTrue(messageOf(huge).contains("header length"));
    }

    @Test
    void refusesMalformedJson() {
        assertTrue(messageOf(image("{\"a\": [", 0)).contains("malformed JSON"));
        assertTrue(messageOf(image("[1, 2]", 0)).contains("not a JSON object"));
    }

    @Test
    void refusesOffsetsOutsideTheData() {
        String msg = messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(msg.contains("outside the data area"), msg);
        msg = messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8));
        assertTrue(msg.contains("outside the data area"), msg);
    }

    @Test
    void refusesSizeShapeMismatch() {
        String msg = messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
        assertTrue(msg.contains("holds 8 bytes but F32 [3] needs 12"), msg);
    }

    @Test
    void refusesOverlappingTensors() {
        String msg = messageOf(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(msg.contains("overlapping"), msg);
    }

    @Test
    void refusesUnsupportedDtypeNamingTheSupportedOnes() {
        String msg = messageOf(image("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
        assertTrue(msg.contains("unsupported dtype F8_E4M3") && msg.contains("BF16"), msg);
    }

    @Test
    void refusesBadShapesAndEntries() {
        assertTrue(messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).contains("invalid shape"));
        assertTrue(messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)).contains("invalid shape"));
        assertTrue(messageOf(image("{\"w\":3}", 0)).contains("no dtype/shape/data_offsets"));
        assertTrue(messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4))
                .contains("too large"));
        assertTrue(messageOf(image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)).contains("invalid data_offsets"));
    }

    @Test
    void keepsMetadataAndIgnoresHeaderPadding() {
        byte[] b = image("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ", 4);
        SafeTensorsFile f = SafeTensorsFile.fromBytes("t", b);
        assertEquals("pt", f.metadata().get("format"));
        assertEquals(1, f.tensors().size());
    }

    @Test
    void reportsMissingFilesShardsAndTensors(@TempDir Path dir) throws IOException {
        assertTrue(assertThrows(RecallException.class, () -> Weights.open(dir)).getMessage().contains("no model.safetensors"));
        new SafeTensorsWriter().f32("a", new float[]{1}, 1).write(dir.resolve("s1.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        assertTrue(assertThrows(RecallException.class, () -> Weights.open(dir)).getMessage().contains("shard s2.safetensors"));
        new SafeTensorsWriter().f32("c", new float[]{1}, 1).write(dir.resolve("s2.safetensors"));
        assertTrue(assertThrows(RecallException.class, () -> Weights.open(dir)).getMessage().contains("does not contain tensor b"));
        new SafeTensorsWriter().f32("b", new float[]{2}, 1).write(dir.resolve("s2.safetensors"));
        try (Weights w = Weights.open(dir)) {
            assertEquals(2f, w.get("b").toFloats()[0]);
            assertTrue(assertThrows(RecallException.class, () -> w.get("zzz")).getMessage().contains("missing tensor zzz"));
        }
    }
}
