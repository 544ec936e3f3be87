package dev.recall.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The one shared thread pool of the runtime. Work is split into index ranges; the split never
 * changes what a single index computes, so results are identical for 1 and N threads.
 * Thread count: {@code -Drecall.threads=N} or {@link #setThreads(int)}, default all cores.
 */
public final class Parallel {

    /** Work on the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static volatile ForkJoinPool pool = newPool(Integer.getInteger("recall.threads",
            Runtime.getRuntime().availableProcessors()));

    private Parallel() {
    }

    private static ForkJoinPool newPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        return new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("recall-worker-" + t.getPoolIndex());
            return t;
        }, null, false);
    }

    public static synchronized void setThreads(int threads) {
        if (threads != pool.getParallelism()) {
            ForkJoinPool old = pool;
            pool = newPool(threads);
            old.shutdown();
        }
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /**
     * Runs task over [0, n) split into blocks of at least {@code grain} indices. Runs inline when
     * the work is small or there is one thread.
     */
    public static void forRange(int n, int grain, RangeTask task) {
        ForkJoinPool p = pool;
        int threads = p.getParallelism();
        if (threads == 1 || n <= grain) {
            task.run(0, n);
            return;
        }
        int blocks = Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == p) {
            new Split(task, 0, n, Math.max(grain, (n + blocks - 1) / blocks)).invoke();
        } else {
            p.invoke(new Split(task, 0, n, Math.max(grain, (n + blocks - 1) / blocks)));
        }
    }

    private static final class Split extends RecursiveAction {
        private final RangeTask task;
        private final int from;
        private final int to;
        private final int block;

        Split(RangeTask task, int from, int to, int block) {
            this.task = task;
            this.from = from;
            this.to = to;
            this.block = block;
        }

        @Override
        protected void compute() {
            if (to - from <= block) {
                task.run(from, to);
                return;
            }
            int mid = from + ((to - from) / 2 / block) * block;
            if (mid == from) {
                mid = from + block;
            }
            invokeAll(new Split(task, from, mid, block), new Split(task, mid, to, block));
        }
    }
}
