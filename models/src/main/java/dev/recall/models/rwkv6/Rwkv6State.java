package dev.recall.models.rwkv6;

import dev.recall.runtime.model.AbstractModelState;
import dev.recall.runtime.model.StateIn;
import dev.recall.runtime.model.StateOut;
import dev.recall.runtime.model.StateArrays;

/**
 * Everything RWKV-6 remembers, per layer and in fp32: the previous token's LN1 output (time-mix
 * shift), its LN2 output (channel-mix shift) and the WKV matrix state of every head
 * ({@code [H, S, S]}, key channel × value channel). Its size does not depend on the context length.
 */
public final class Rwkv6State extends AbstractModelState {

    private final float[][] timeMixShift;
    private final float[][] channelMixShift;
    private final float[][] wkv;
    private int position;

    Rwkv6State(int layers, int channels, int heads, int headSize) {
        timeMixShift = new float[layers][channels];
        channelMixShift = new float[layers][channels];
        wkv = new float[layers][heads * headSize * headSize];
    }

    private Rwkv6State(Rwkv6State other) {
        timeMixShift = StateArrays.copy(other.timeMixShift);
        channelMixShift = StateArrays.copy(other.channelMixShift);
        wkv = StateArrays.copy(other.wkv);
        position = other.position;
    }

    int layers() {
        return timeMixShift.length;
    }

    float[] timeMixShift(int layer) {
        return timeMixShift[layer];
    }

    float[] channelMixShift(int layer) {
        return channelMixShift[layer];
    }

    float[] wkv(int layer) {
        return wkv[layer];
    }

    @Override
    protected void advance(int tokens) {
        position += tokens;
    }

    @Override
    public void write(StateOut out) {
        requireOpen();
        out.writeInt(position);
        for (int l = 0; l < wkv.length; l++) {
            out.writeFloats(timeMixShift[l]);
            out.writeFloats(channelMixShift[l]);
            out.writeFloats(wkv[l]);
        }
    }

    /** Fills this fresh state from what {@link #write} wrote. */
    void read(StateIn in) {
        position = in.readCount("the position", Integer.MAX_VALUE);
        for (int l = 0; l < wkv.length; l++) {
            in.readFloatsInto(timeMixShift[l], "layer " + l + "'s time-mix shift");
            in.readFloatsInto(channelMixShift[l], "layer " + l + "'s channel-mix shift");
            in.readFloatsInto(wkv[l], "layer " + l + "'s WKV state");
        }
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public Rwkv6State copy() {
        requireOpen();
        return new Rwkv6State(this);
    }

    @Override
    public long sizeBytes() {
        return StateArrays.bytes(timeMixShift, channelMixShift, wkv);
    }
}
