package dev.recall.models.griffin;

import dev.recall.runtime.attention.KvArrayPool;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.StateIn;
import dev.recall.runtime.model.StateOut;

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

    @Override
    protected void advance(int tokens) {
        position += tokens;
    }

    @Override
    public void write(StateOut out) {
        requireOpen();
        out.writeInt(position);
        out.writeInt(window);
        out.writeInt(recurrent.length);
        for (int i = 0; i < recurrent.length; i++) {
            out.writeBoolean(recurrent[i] != null);
            if (recurrent[i] != null) {
                out.writeFloats(recurrent[i].convHistory);
                out.writeFloats(recurrent[i].h);
            } else {
                caches[i].write(out);
            }
        }
    }

    /** Fills this state's recurrent memories and the given caches' slots from what {@link #write} wrote. */
    static RecurrentGemmaState read(StateIn in, RecurrentBlock.Memory[] memories, LocalAttentionBlock[] attention,
                                    KvArrayPool pool) {
        int position = in.readCount("the position", Integer.MAX_VALUE);
        int window = in.readCount("the attention window", Integer.MAX_VALUE);
        int layers = in.readInt();
        if (layers != memories.length) {
            throw StateIn.damaged("it holds " + layers + " layers where this model has " + memories.length);
        }
        KvCache[] caches = new KvCache[layers];
        try {
            for (int i = 0; i < layers; i++) {
                boolean isRecurrent = in.readBoolean();
                if (isRecurrent != (memories[i] != null)) {
                    throw StateIn.damaged("layer " + i + " is of another kind in this model");
                }
                if (isRecurrent) {
                    in.readFloatsInto(memories[i].convHistory, "layer " + i + "'s conv history");
                    in.readFloatsInto(memories[i].h, "layer " + i + "'s RG-LRU state");
                } else {
                    caches[i] = KvCache.read(in, attention[i].kvDim(), pool);
                }
            }
        } catch (RuntimeException | Error e) {
            KvCache.releaseAll(caches);
            throw e;
        }
        RecurrentGemmaState state = new RecurrentGemmaState(memories, caches, window);
        state.position = position;
        return state;
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
