package dev.recall.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one shared thread pool of the runtime. Work is split into index ranges; the split never
 * changes what a single index computes, so results are identical for 1 and N threads.
 * Thread count: {@code -Drecall.threads=N} or {@link #setThreads(int)}, default all cores.
 *
 * <p>Two kinds of worker serve {@link #forRange}. A call from outside any parallel region (a decode
 * step's matrix-vector products, one after another from the caller's thread) goes to a
 * {@link Team}: threads − 1 helpers that spin for a moment between calls, with the caller taking
 * blocks itself. A decode step makes a few hundred such calls of 0.1–0.5 ms each, and waking a
 * parked fork-join worker for each one cost as much as the call on a virtual machine (measured:
 * a 3072×768 BF16 matvec at 9.7 GB/s on two threads through the pool, no faster than one thread).
 * A call nested in a team job (an OPRM chunk's prefill, run by one team thread while the others
 * run other chunks) runs inline: every thread already has work, and handing it on would only add a
 * hand-off per call. Calls from pool workers, and calls while another thread holds the team, go to
 * the fork-join pool.
 */
public final class Parallel {

    /** Work on the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static volatile ForkJoinPool pool = newPool(Integer.getInteger("recall.threads",
            Runtime.getRuntime().availableProcessors()));
    private static volatile Team team = new Team(pool.getParallelism() - 1);
    /** Whether this thread is running blocks of a team job (then a nested forRange runs inline). */
    private static final ThreadLocal<Boolean> IN_TEAM_JOB = ThreadLocal.withInitial(() -> false);

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
            Team oldTeam = team;
            pool = newPool(threads);
            team = new Team(threads - 1);
            old.shutdown();
            oldTeam.close();
        }
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /**
     * Runs task over [0, n) split into blocks of at least {@code grain} indices. Runs inline when
     * the work makes only one block, there is one thread, or the caller is already running a team job.
     */
    public static void forRange(int n, int grain, RangeTask task) {
        ForkJoinPool p = pool;
        int threads = p.getParallelism();
        int blocks = Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (threads == 1 || blocks == 1 || IN_TEAM_JOB.get()) {
            task.run(0, n); // one block: waking the helpers would only cost their hand-off
            return;
        }
        int block = Math.max(grain, (n + blocks - 1) / blocks);
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == p) {
            new Split(task, 0, n, block).invoke();
        } else if (!team.run(task, n, block)) {
            p.invoke(new Split(task, 0, n, block));
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

    /** One forRange call handed to a team: blocks are claimed from a counter by whoever is free. */
    private static final class Job {
        final RangeTask task;
        final int n;
        final int block;
        final int blocks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;

        Job(RangeTask task, int n, int block) {
            this.task = task;
            this.n = n;
            this.block = block;
            this.blocks = (n + block - 1) / block;
        }

        void work() {
            IN_TEAM_JOB.set(true);
            try {
                for (int b = next.getAndIncrement(); b < blocks; b = next.getAndIncrement()) {
                    int from = b * block;
                    try {
                        task.run(from, Math.min(n, from + block));
                    } catch (Throwable t) {
                        if (error == null) {
                            error = t;
                        }
                    } finally {
                        done.incrementAndGet();
                    }
                }
            } finally {
                IN_TEAM_JOB.set(false);
            }
        }
    }

    /**
     * The caller plus {@code helpers} daemon threads. Between jobs a helper spins for
     * {@link #SPIN_NANOS} (so the next matvec of the same decode step finds it awake), then parks
     * until the next job: an idle runtime burns no CPU.
     */
    private static final class Team {
        static final long SPIN_NANOS = 2_000_000;

        private final Helper[] helpers;
        private final AtomicBoolean busy = new AtomicBoolean();
        private volatile Job job;
        /** Counts published jobs; helpers compare it with the last one they saw, so none keeps a job alive. */
        private volatile long generation;
        private volatile boolean closed;

        Team(int helpers) {
            this.helpers = new Helper[helpers];
            for (int i = 0; i < helpers; i++) {
                this.helpers[i] = new Helper(i);
            }
        }

        /** Runs the job with the team, or returns false when the team is taken (nested or concurrent calls). */
        boolean run(RangeTask task, int n, int block) {
            if (closed || helpers.length == 0 || !busy.compareAndSet(false, true)) {
                return false;
            }
            try {
                Job j = new Job(task, n, block);
                job = j;
                generation++; // only the owner writes it (busy is held)
                for (Helper h : helpers) {
                    h.wake();
                }
                j.work();
                // The last blocks may still be running on helpers.
                for (int spins = 0; j.done.get() < j.blocks; spins++) {
                    if (spins < 10_000) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
                Throwable t = j.error;
                if (t instanceof RuntimeException e) {
                    throw e;
                } else if (t instanceof Error e) {
                    throw e;
                } else if (t != null) {
                    throw new IllegalStateException(t);
                }
                return true;
            } finally {
                job = null; // nothing keeps the task's captured arrays alive after the call
                busy.set(false);
            }
        }

        void close() {
            closed = true;
            // Not wake(): that may start a thread, and only the team's current owner may do so.
            for (Helper h : helpers) {
                if (h.isAlive()) {
                    LockSupport.unpark(h);
                }
            }
        }

        private final class Helper extends Thread {
            private volatile boolean sleeping;
            private boolean started;

            Helper(int index) {
                super("recall-team-" + index);
                setDaemon(true);
            }

            /** Starts the helper on first use; unparks it when it sleeps. */
            void wake() {
                if (!started) {
                    started = true; // only ever called by the team's current owner
                    start();
                } else if (sleeping) {
                    LockSupport.unpark(this);
                }
            }

            @Override
            public void run() {
                long seen = 0; // the last generation this helper took part in; holds no job alive
                long idleSince = System.nanoTime();
                while (!closed) {
                    long g = generation;
                    if (g != seen) {
                        seen = g;
                        Job j = job; // null when the owner finished the job without this helper
                        if (j != null) {
                            j.work();
                        }
                        idleSince = System.nanoTime();
                    } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        sleeping = true;
                        // Re-read after announcing sleep: a job published before the flag was seen is not missed.
                        if (generation == seen && !closed) {
                            LockSupport.park(this);
                        }
                        sleeping = false;
                        idleSince = System.nanoTime();
                    }
                }
            }
        }
    }
}
