package dev.recall.models.griffin;

import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.model.AbstractModelState;

/**
 * What a RecurrentGemma model remembers: per recurrent layer the conv history and the RG-LRU state,
 * per attention layer a KV ring of the attention window. Its size is fixed by the model, whatever
 * the context length.
 */
public final class RecurrentGemmaState extends AbstractModelState {

    /** Per layer; null at attention layers. */
    private final RecurrentBlock.Memory[] recurrent;
    /** Per layer; null at recurrent layers. */
    private final KvCache[] caches;
    private final int window;
    private int position;

    RecurrentGemmaState(RecurrentBlock.Memory[] recurrent, KvCache[] caches, int window) {
        this.recurrent = recurrent;
        this.caches = caches;
        this.window = window;
    }

    private RecurrentGemmaState(RecurrentGemmaState other) {
        this.recurrent = new RecurrentBlock.Memory[other.recurrent.length];
        this.caches = new KvCache[other.caches.length];
        try {
            for (int i = 0; i < recurrent.length; i++) {
                recurrent[i] = other.recurrent[i] == null ? null : other.recurrent[i].copy();
                caches[i] = other.caches[i] == null ? null : other.caches[i].copy();
            }
        } catch (RuntimeException | Error e) {
            // Out of memory part way: the rings already copied hand their arrays back.
            KvCache.releaseAll(caches);
            throw e;
        }
        this.window = other.window;
        this.position = other.position;
    }

    int layers() {
        return recurrent.length;
    }

    RecurrentBlock.Memory recurrentMemory(int layer) {
        return recurrent[layer];
    }

    KvCache cache(int layer) {
        return caches[layer];
    }

    /** The attention window in effect for this state (the model's, or a smaller requested one). */
    public int attentionWindow() {
        return window;
    }

    void advance(int tokens) {
        position += tokens;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public RecurrentGemmaState copy() {
        requireOpen();
        return new RecurrentGemmaState(this);
    }

    /** Hands the attention layers' cache arrays back to the model for its next state. */
    @Override
    protected void release() {
        KvCache.releaseAll(caches);
    }

    @Override
    public long sizeBytes() {
        long bytes = 0;
        for (int i = 0; i < recurrent.length; i++) {
            bytes += recurrent[i] == null ? 0 : recurrent[i].sizeBytes();
            bytes += caches[i] == null ? 0 : caches[i].sizeBytes();
        }
        return bytes;
    }
}
