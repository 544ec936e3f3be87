package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A session saved to a state file and restored in another loaded model continues exactly as the
 * saved one does, for every family and every kind of attention cache (full, a wrapped sliding-window
 * ring, LM-Infinite's Λ); files of another model, damaged, truncated or of another version are
 * refused in one sentence, and a failed save leaves the old file as it was.
 */
class StateFileTest {

    @TempDir
    Path tmp;

    private static final GenerateOptions GREEDY = GenerateOptions.greedy(8);

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mamba", "recurrent-gemma", "rwkv6"})
    void aRestoredZooSessionContinuesAsTheSavedOne(String family) {
        Path dir = SharedData.zoo().resolve(family);
        Path file = tmp.resolve(family + ".state");
        String continued;
        int[] tokens;
        try (LoadedModel model = Recall.load(dir)) {
            Session session = model.session();
            session.generate("There is a pass key hidden in the text below. The pass key is", GREEDY, null);
            session.save(file);
            continued = session.generate(" Then", GREEDY, null);
            tokens = session.tokens();
        }
        try (LoadedModel again = Recall.load(dir)) {
            Session restored = again.restore(file);
            assertEquals(continued, restored.generate(" Then", GREEDY, null));
            assertArrayEquals(tokens, restored.tokens());
        }
    }

    /** Token ids on the golden models: a sliding-window ring that has wrapped, and LM-Infinite's Λ cache. */
    @ParameterizedTest
    @ValueSource(strings = {"golden/recurrent-gemma", "golden/llama"})
    void wrappedRingsAndLambdaCachesComeBackSlotForSlot(String name) {
        Path dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        GenerateOptions options = name.endsWith("llama")
                ? GREEDY.withStrategy(StrategyOptions.lmInfinite().withNGlobal(2).withDMax(8)) : GREEDY;
        Path file = tmp.resolve("golden.state");
        GenerationResult continued;
        try (LoadedModel model = Recall.load(dir)) {
            Session session = model.session();
            session.generate(Prompt.plain(Arrays.copyOf(ids, 40)), options, TokenListener.NONE);
            session.save(file);
            continued = session.generate(Prompt.plain(Arrays.copyOfRange(ids, 40, 44)), GREEDY, TokenListener.NONE);
        }
        try (LoadedModel again = Recall.load(dir)) {
            GenerationResult restored = again.restore(file).generate(Prompt.plain(Arrays.copyOfRange(ids, 40, 44)), GREEDY,
                    TokenListener.NONE);
            assertArrayEquals(continued.ids(), restored.ids());
        }
    }

    /**
     * A snapshot saves in the session format: restored in another model instance, it continues as
     * the session would have from the snapshot, even after the session itself moved on.
     */
    @Test
    void aSavedSnapshotContinuesFromWhereItWasTaken() {
        Path dir = SharedData.zoo().resolve("llama");
        Path file = tmp.resolve("snapshot.state");
        String fromSnapshot;
        try (LoadedModel model = Recall.load(dir)) {
            Session session = model.session();
            session.generate("There is a pass key hidden in the text below.", GREEDY, null);
            try (Session.Snapshot snapshot = session.snapshot()) {
                session.generate(" Something else", GREEDY, null); // the session moves on
                snapshot.save(file);
                session.restore(snapshot);
                fromSnapshot = session.generate(" The pass key is", GREEDY, null);
                snapshot.close();
                assertThrows(IllegalStateException.class, () -> snapshot.save(file));
            }
            try (Session.Snapshot empty = model.session().snapshot()) {
                assertThrows(RecallException.class, () -> empty.save(tmp.resolve("empty.state")));
            }
        }
        try (LoadedModel again = Recall.load(dir)) {
            assertEquals(fromSnapshot, again.restore(file).generate(" The pass key is", GREEDY, null));
        }
    }

    @Test
    void filesThatDoNotFitAreRefusedInOneSentence() throws Exception {
        Path file = tmp.resolve("mamba.state");
        try (LoadedModel mamba = Recall.load(SharedData.zoo().resolve("mamba"))) {
            Session session = mamba.session();
            session.generate("The", GREEDY, null);
            session.save(file);

            byte[] good = Files.readAllBytes(file);
            Path truncated = tmp.resolve("truncated.state");
            Files.write(truncated, Arrays.copyOf(good, good.length - 10));
            assertRefused(mamba, truncated, "damaged or truncated");

            byte[] flipped = good.clone();
            flipped[flipped.length / 2] ^= 0x10;
            Path damaged = tmp.resolve("damaged.state");
            Files.write(damaged, flipped);
            assertRefused(mamba, damaged, "checksum");

            byte[] newer = good.clone();
            ByteBuffer.wrap(newer).putInt(12, 3);
            CRC32 crc = new CRC32();
            crc.update(newer, 0, newer.length - 8);
            ByteBuffer.wrap(newer).putLong(newer.length - 8, crc.getValue());
            Path future = tmp.resolve("future.state");
            Files.write(future, newer);
            assertRefused(mamba, future, "format version 3");

            Path notAState = tmp.resolve("notes.txt");
            Files.writeString(notAState, "hello");
            assertRefused(mamba, notAState, "not a Recall state file");

            // A save that fails (nothing to save, or no such directory) leaves the old file as it was.
            assertThrows(RecallException.class, () -> mamba.session().save(file));
            assertThrows(RecallException.class, () -> session.save(tmp.resolve("missing/dir/x.state")));
            assertArrayEquals(good, Files.readAllBytes(file));
            try (var left = Files.list(tmp)) {
                assertTrue(left.noneMatch(p -> p.toString().endsWith(".partial")), "no partial file left behind");
            }
        }
        try (LoadedModel llama = Recall.load(SharedData.zoo().resolve("llama"))) {
            assertRefused(llama, file, "saved by another model");
        }
    }

    private static void assertRefused(LoadedModel model, Path file, String why) {
        RecallException e = assertThrows(RecallException.class, () -> model.restore(file));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
