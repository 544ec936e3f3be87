package dev.recall.runtime.attention;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The key and value arrays of one model's attention caches: handed back by states that are done
 * with them ({@link dev.recall.runtime.model.ModelState#close()}) and handed out again to the
 * caches of the states that follow.
 *
 * <p>Why: a cache is two large arrays per layer (llama-1b at 4,096 tokens: 32 arrays of 9.4 MB).
 * Dropped as garbage, they stay in the old generation until a full collection, which the Serial
 * collector puts off by growing the heap instead, so every long request used to add its cache to
 * the process's resident memory (docs/performance.md, Memory). Reused, the next request of a
 * similar length allocates nothing.
 *
 * <p>Bounds, so that the pool never costs more than it saves:
 * <ul>
 *   <li>an idle array goes only to a request of at least half its length, so a short prompt does
 *       not take a long one's arrays;</li>
 *   <li>idle arrays are kept only while idle and in-use arrays together stay within the most the
 *       caches ever held at once (the oldest go first), so the pool never makes the process larger
 *       than its largest moment was;</li>
 *   <li>they are held softly: the collector takes them back before it would run out of memory.</li>
 * </ul>
 * An array that is never handed back (its state dropped without {@code close}) is collected as
 * usual and still counts as in use, which only lowers what the pool may keep. Thread-safe: OPRM's
 * chunk prefills grow their caches at the same time.
 */
public final class KvArrayPool {

    private record Idle(SoftReference<float[]> array, int length) {
    }

    /** Most recently handed back first. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private long idleFloats;
    private long inUseFloats;
    private long peakFloats;

    /**
     * An array of at least {@code length} floats (at most twice that), holding whatever its last
     * user left in it: an idle one if one fits, else a new one.
     */
    public synchronized float[] take(int length) {
        Idle best = null;
        float[] bestArray = null;
        for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
            Idle e = it.next();
            float[] a = e.array.get();
            if (a == null) { // taken back by the collector
                it.remove();
                idleFloats -= e.length;
            } else if (a.length >= length && a.length / 2 <= length && (best == null || a.length < best.length)) {
                best = e;
                bestArray = a;
            }
        }
        if (best != null) {
            idle.remove(best);
            idleFloats -= best.length;
        } else {
            bestArray = new float[length];
        }
        inUseFloats += bestArray.length;
        peakFloats = Math.max(peakFloats, inUseFloats);
        return bestArray;
    }

    /**
     * Takes back an array from {@link #take}; the caller must not use it afterwards. Never throws:
     * with no memory left even to note it, the array is simply left to the collector.
     */
    public synchronized void give(float[] array) {
        inUseFloats = Math.max(0, inUseFloats - array.length);
        while (!idle.isEmpty() && idleFloats + array.length + inUseFloats > peakFloats) {
            Idle oldest = idle.removeLast();
            idleFloats -= oldest.length;
        }
        if (idleFloats + array.length + inUseFloats <= peakFloats) {
            try {
                idle.addFirst(new Idle(new SoftReference<>(array), array.length));
                idleFloats += array.length;
            } catch (OutOfMemoryError e) {
                // Not kept: the array becomes garbage like any other.
            }
        }
    }

    /** Floats in idle arrays (some may have been taken back by the collector already). */
    public synchronized long idleFloats() {
        return idleFloats;
    }

    /** Floats in arrays handed out and not handed back. */
    public synchronized long inUseFloats() {
        return inUseFloats;
    }
}
