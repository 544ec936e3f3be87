package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A saved session on disk: {@code RECALL-STATE}, a format version, the identity of the model that
 * wrote it (a SHA-256 of its config and tensor layout, see {@link LoadedModel#identity()}), its
 * family, the strategy of its first prompt, its token count, the payload, and a CRC-32 of
 * everything before it. Written to a temporary file beside the target and renamed over it, so a
 * failed save never leaves a half-written file where the old one was; read whole and checked
 * before anything in it is trusted.
 */
final class StateFile {

    static final byte[] MAGIC = "RECALL-STATE".getBytes(StandardCharsets.US_ASCII);
    /** 2: attention caches record LM-Infinite's window, distance limit and top-k settings apart. */
    static final int VERSION = 2;

    /** What a file says about itself, and the session payload. */
    record Contents(String family, String strategy, int tokens, byte[] payload) {
    }

    private StateFile() {
    }

    static void save(Path file, byte[] modelId, Contents c) {
        byte[] family = c.family().getBytes(StandardCharsets.UTF_8);
        byte[] strategy = c.strategy().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + modelId.length + 4 + family.length + 4 + strategy.length
                + 4 + 8 + c.payload().length + 8);
        b.put(MAGIC).putInt(VERSION).put(modelId);
        b.putInt(family.length).put(family).putInt(strategy.length).put(strategy);
        b.putInt(c.tokens()).putLong(c.payload().length).put(c.payload());
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putLong(crc.getValue());
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, file.getFileName().toString(), ".partial");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                b.flip();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RecallException("cannot save the state to " + file + ": " + IoErrors.describe(e), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The rename happened, or the temporary file is left beside the target.
                }
            }
        }
    }

    static Contents load(Path file, byte[] modelId, String family) {
        byte[] bytes;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new RecallException(file + " is too large to be a state file");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RecallException("cannot read the state file " + file + ": " + IoErrors.describe(e), e);
        }
        int minimum = MAGIC.length + 4 + modelId.length + 4 + 4 + 4 + 8 + 8;
        if (bytes.length < minimum || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new RecallException(file + " is not a Recall state file");
        }
        try {
            return parse(file, bytes, modelId, family);
        } catch (java.nio.BufferUnderflowException e) {
            throw new RecallException(file + " is damaged (it ends inside its header)");
        }
    }

    private static Contents parse(Path file, byte[] bytes, byte[] modelId, String family) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.position(MAGIC.length);
        int version = b.getInt();
        if (version != VERSION) {
            throw new RecallException(file + " is a state file of format version " + version + "; this build reads version "
                    + VERSION);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        if (crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong()) {
            throw new RecallException(file + " is damaged or truncated (its checksum does not match)");
        }
        byte[] id = new byte[modelId.length];
        b.get(id);
        if (!Arrays.equals(id, modelId)) {
            throw new RecallException(file + " was saved by another model (or another version of its files)");
        }
        String savedFamily = string(b, file);
        if (!savedFamily.equals(family)) {
            throw new RecallException(file + " holds a " + savedFamily + " state, not one of this " + family + " model");
        }
        String strategy = string(b, file);
        int tokens = b.getInt();
        long length = b.getLong();
        if (length != b.remaining() - 8L) {
            throw new RecallException(file + " is damaged (its payload length does not match the file)");
        }
        byte[] payload = new byte[(int) length];
        b.get(payload);
        return new Contents(savedFamily, strategy, tokens, payload);
    }

    private static String string(ByteBuffer b, Path file) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() || n > 256) {
            throw new RecallException(file + " is damaged (a name of " + n + " bytes)");
        }
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
