package dev.recall.kernels;

/**
 * Working memory a thread reuses from one kernel call to the next. Without it every matmul
 * allocated its packed weights and every parallel block its accumulators, several GB per prompt on a
 * 24-layer model, and the garbage grew the heap far past the model's own memory. A thread that
 * already holds its buffers of a kind (a kernel reached again while a fork-join worker waits
 * inside another one) gets fresh ones, so no two users ever share an array. The arrays only grow;
 * what a thread keeps is bounded by the largest block it has worked on.
 */
final class WorkBuffers {

    private float[] a = new float[0];
    private float[] b = new float[0];
    private float[] c = new float[0];
    private boolean inUse;

    /** This thread's buffers of the given kind, or fresh ones when it is already using those. Release when done. */
    static WorkBuffers acquire(ThreadLocal<WorkBuffers> kind) {
        WorkBuffers mine = kind.get();
        if (mine.inUse) {
            return new WorkBuffers();
        }
        mine.inUse = true;
        return mine;
    }

    void release() {
        inUse = false;
    }

    // Three independent arrays, each at least the length asked for, contents unspecified.
    float[] first(int length) {
        if (a.length < length) {
            a = new float[length];
        }
        return a;
    }

    float[] second(int length) {
        if (b.length < length) {
            b = new float[length];
        }
        return b;
    }

    float[] third(int length) {
        if (c.length < length) {
            c = new float[length];
        }
        return c;
    }
}
