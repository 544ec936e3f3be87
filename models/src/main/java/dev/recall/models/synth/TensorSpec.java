package dev.recall.models.synth;

/** One tensor of a synthetic checkpoint: its stored name, shape and how to fill it. */
record TensorSpec(String name, long[] shape, Init init) {

    static TensorSpec of(String name, Init init, long... shape) {
        return new TensorSpec(name, shape, init);
    }

    long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
