package dev.recall.models.llama;

import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.StateOut;

/** What a Llama-layout model remembers: one KV cache per decoder layer. */
final class LlamaState extends AbstractModelState {

    final LlamaModel model;
    final KvCache[] caches;

    LlamaState(LlamaModel model, KvCache[] caches) {
        this.model = model;
        this.caches = caches;
    }

    @Override
    public int position() {
        return caches[0].length();
    }

    @Override
    public void reserve(int tokens) {
        requireOpen();
        for (KvCache cache : caches) {
            cache.reserve(tokens);
        }
    }

    @Override
    public LlamaState copy() {
        requireOpen();
        KvCache[] copies = new KvCache[caches.length];
        try {
            for (int i = 0; i < caches.length; i++) {
                copies[i] = caches[i].copy();
            }
            return new LlamaState(model, copies);
        } catch (RuntimeException | Error e) {
            // Out of memory part way: the layers already copied hand their arrays back.
            KvCache.releaseAll(copies);
            throw e;
        }
    }

    /** Hands every layer's cache arrays back to the model for its next state. */
    @Override
    protected void release() {
        KvCache.releaseAll(caches);
    }

    @Override
    public void write(StateOut out) {
        requireOpen();
        out.writeInt(caches.length);
        for (KvCache cache : caches) {
            cache.write(out);
        }
    }

    @Override
    public long sizeBytes() {
        long bytes = 0;
        for (KvCache c : caches) {
            bytes += c.sizeBytes();
        }
        return bytes;
    }
}
