package dev.recall.models.llama;

import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.model.ModelState;

/** What a Llama-layout model remembers: one KV cache per decoder layer. */
final class LlamaState implements ModelState {

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
        for (KvCache cache : caches) {
            cache.reserve(tokens);
        }
    }

    @Override
    public LlamaState copy() {
        KvCache[] copies = new KvCache[caches.length];
        for (int i = 0; i < caches.length; i++) {
            copies[i] = caches[i].copy();
        }
        return new LlamaState(model, copies);
    }

    /** Hands every layer's cache arrays back to the model for its next state. */
    @Override
    public void close() {
        for (KvCache cache : caches) {
            cache.release();
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
