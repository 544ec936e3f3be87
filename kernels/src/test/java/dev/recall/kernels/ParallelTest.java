package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void forRangeVisitsEveryIndexExactlyOnce() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {0, 1, 5, 64, 1000, 4099}) {
                    for (int grain : new int[] {1, 7, 100, 10_000}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        Parallel.forRange(n, grain, (from, to) -> {
                            assertTrue(from < to || n == 0, "empty block [" + from + ", " + to + ")");
                            for (int i = from; i < to; i++) {
                                seen.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, seen.get(i), "index " + i + " of " + n + ", grain " + grain);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void nestedForRangeCompletes() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            AtomicIntegerArray seen = new AtomicIntegerArray(100);
            Parallel.forRange(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int outer = i;
                    Parallel.forRange(10, 1, (f2, t2) -> {
                        for (int j = f2; j < t2; j++) {
                            seen.incrementAndGet(outer * 10 + j);
                        }
                    });
                }
            });
            for (int i = 0; i < 100; i++) {
                assertEquals(1, seen.get(i));
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void anExceptionInAnyBlockReachesTheCaller() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            IllegalArgumentException boom = new IllegalArgumentException("boom");
            for (int failing : new int[] {0, 63}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Parallel.forRange(64, 1, (from, to) -> {
                            if (from <= failing && failing < to) {
                                throw boom;
                            }
                        }));
                assertSame(boom, e);
            }
            // The team is free again afterwards.
            AtomicIntegerArray seen = new AtomicIntegerArray(64);
            Parallel.forRange(64, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 64; i++) {
                assertEquals(1, seen.get(i));
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void concurrentCallersEachGetEveryIndexOnce() throws InterruptedException {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            int callers = 4;
            int rounds = 300;
            int n = 257;
            AtomicIntegerArray seen = new AtomicIntegerArray(callers * n);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int r = 0; r < rounds; r++) {
                        Parallel.forRange(n, 3, (from, to) -> {
                            for (int i = from; i < to; i++) {
                                seen.incrementAndGet(caller * n + i);
                            }
                        });
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < callers * n; i++) {
                assertEquals(rounds, seen.get(i), "index " + i);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Between calls the team's helpers spin briefly and then park, and none of them keeps the
     * last call's task (and the arrays it captured) alive. The waits are bounds, not timings:
     * a helper that never parks fails after 10 s, one that parks passes within milliseconds.
     */
    @Test
    void idleHelpersParkAndReleaseTheLastTask() throws InterruptedException {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            float[] captured = new float[1 << 16];
            WeakReference<float[]> released = new WeakReference<>(captured);
            for (int round = 0; round < 5; round++) {
                float[] data = captured;
                Parallel.forRange(data.length, 1024, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        data[i] += 1;
                    }
                });
            }
            assertEquals(5f, captured[captured.length - 1]);
            captured = null;

            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                // Helpers of teams closed by other tests' setThreads exit and drop out of this list.
                List<Thread> helpers = teamHelpers();
                assertTrue(!helpers.isEmpty(), "a call with two threads starts a helper");
                boolean parked = helpers.stream().allMatch(t -> t.getState() == Thread.State.WAITING);
                if (parked && released.get() == null) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "after 10 s idle: helpers " + helpers.stream()
                        .map(t -> t.getName() + " " + t.getState()).toList()
                        + (released.get() != null ? ", and the last task's array is still reachable" : ""));
                System.gc();
                Thread.sleep(20);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static List<Thread> teamHelpers() {
        List<Thread> helpers = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("recall-team-") && t.isAlive()) {
                helpers.add(t);
            }
        }
        return helpers;
    }
}
